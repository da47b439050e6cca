//! `#[derive(Detail)]`: an enum whose variants each hold the detail of some events, routed by the
//! event's `source` and `detail-type`, with an optional catch-all variant keeping the raw detail.
//!
//! A variant is one of:
//!
//! * `Name(T)` where `T: Detail` (a `#[derive(TypedDetail)]` struct, another such enum): it takes
//!   the events `T` accepts. A `Box<T>` field is routed and decoded as `T`, then boxed.
//! * `#[detail(detail_type = "…")] Name(T)` where `T: Deserialize`: it takes that `detail-type`
//!   from the enum's `source` (`#[detail(source = "…")]` on the enum or on the variant).
//! * `#[detail(other)] Name(T)` or `#[detail(other)] Name { source, detail_type, detail }`: the
//!   catch-all, which keeps every other event (of the enum's `source`, when it has one) with its
//!   raw detail instead of rejecting it.
//!
//! Variants are tried in declaration order, the catch-all last.

mod check;

use proc_macro2::TokenStream as TokenStream2;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Ident, LitStr, Type};

/// How one variant is chosen and decoded.
enum Route<'a> {
    /// `Name(T)` with `T: Detail`: routed by `T::accepts` and decoded by `T::decode`.
    Nested {
        variant: &'a Ident,
        /// `T` (the inner type when the field is `Box<T>`).
        detail: &'a Type,
        boxed: bool,
    },
    /// `#[detail(detail_type = "…")] Name(T)`: a fixed `source` and `detail-type`.
    Keyed {
        variant: &'a Ident,
        field: &'a Type,
        source: LitStr,
        detail_type: LitStr,
    },
}

/// The `#[detail(other)]` variant.
enum CatchAll<'a> {
    /// `Name(T)`: the detail decoded as `T` (e.g. `serde_json::Value`).
    Newtype { variant: &'a Ident, field: &'a Type },
    /// `Name { source, detail_type, detail }`: the raw envelope parts (`source` and
    /// `detail_type` are optional).
    Parts {
        variant: &'a Ident,
        source: Option<&'a Ident>,
        detail_type: Option<&'a Ident>,
        detail: &'a Ident,
    },
}

/// The enum's variants, checked.
struct Routes<'a> {
    routes: Vec<Route<'a>>,
    catch_all: Option<CatchAll<'a>>,
    /// The enum's own `source`, if given.
    source: Option<LitStr>,
}

/// The `impl ::eventbridge_lambda::Detail` for `input`, or every error found, each at the user's
/// tokens.
pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream2> {
    let data = match &input.data {
        Data::Enum(data) => data,
        Data::Struct(data) => {
            return Err(syn::Error::new(
                data.struct_token.span,
                "#[derive(Detail)] is for an enum over several detail types; for a struct with one `source` and `detail-type`, use #[derive(TypedDetail)]",
            ));
        }
        Data::Union(data) => {
            return Err(syn::Error::new(
                data.union_token.span,
                "#[derive(Detail)] is for an enum over several detail types, not a union",
            ));
        }
    };
    let routes = check::check(input, data)?;
    let name = &input.ident;
    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    let expected = expected(&routes);
    let accepts = accepts(&routes);
    let decode = decode(&routes);
    Ok(quote! {
        impl #impl_generics ::eventbridge_lambda::Detail for #name #type_generics #where_clause {
            fn expected() -> ::std::borrow::Cow<'static, str> {
                #expected
            }

            fn accepts(__source: &str, __detail_type: &str) -> bool {
                #accepts
            }

            fn decode(
                __source: &str,
                __detail_type: &str,
                __detail: &::eventbridge_lambda::__private::serde_json::value::RawValue,
            ) -> ::core::result::Result<Self, ::eventbridge_lambda::__private::serde_json::Error> {
                #decode
            }
        }
    })
}

/// `source "…" with detail-type "…"` for fixed pairs, as `TypedDetail::expected` words it.
fn describe(source: &str, detail_types: &[String]) -> String {
    let quoted: Vec<String> = detail_types
        .iter()
        .map(|text| format!("{text:?}"))
        .collect();
    let listed = match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.concat(),
    };
    format!("source {source:?} with detail-type {listed}")
}

/// One part of what the enum accepts: either known when the macro runs, or asked of a nested type.
enum Part<'a> {
    Fixed(String),
    Nested(&'a Type),
}

/// The fixed pairs of `routes` by source (in order of first appearance), leaving out those that
/// the catch-all takes anyway (its source is the enum's).
fn keyed_by_source(routes: &Routes<'_>) -> Vec<(String, Vec<String>)> {
    let covered = routes
        .catch_all
        .as_ref()
        .and(routes.source.as_ref())
        .map(LitStr::value);
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for route in &routes.routes {
        let Route::Keyed {
            source,
            detail_type,
            ..
        } = route
        else {
            continue;
        };
        let source = source.value();
        if covered.as_ref() == Some(&source) {
            continue;
        }
        match groups.iter_mut().find(|(known, _)| *known == source) {
            Some((_, types)) => types.push(detail_type.value()),
            None => groups.push((source, vec![detail_type.value()])),
        }
    }
    groups
}

fn expected(routes: &Routes<'_>) -> TokenStream2 {
    if routes.catch_all.is_some() && routes.source.is_none() {
        return quote!(::std::borrow::Cow::Borrowed("any event"));
    }
    let mut parts: Vec<Part<'_>> = Vec::new();
    let groups = keyed_by_source(routes);
    let mut described = Vec::new();
    for route in &routes.routes {
        match route {
            Route::Nested { detail, .. } => parts.push(Part::Nested(detail)),
            Route::Keyed { source, .. } => {
                let source = source.value();
                if let Some((_, types)) = groups.iter().find(|(known, _)| *known == source)
                    && !described.contains(&source)
                {
                    parts.push(Part::Fixed(describe(&source, types)));
                    described.push(source);
                }
            }
        }
    }
    if let (Some(_), Some(source)) = (&routes.catch_all, &routes.source) {
        parts.push(Part::Fixed(format!(
            "source {:?} (any detail-type)",
            source.value()
        )));
    }
    let to_tokens = |part: &Part<'_>| match part {
        Part::Fixed(text) => quote!(::std::borrow::Cow::Borrowed(#text)),
        Part::Nested(detail) => {
            quote_spanned!(detail.span()=> <#detail as ::eventbridge_lambda::Detail>::expected())
        }
    };
    match parts.as_slice() {
        [one] => to_tokens(one),
        parts => {
            let parts = parts.iter().map(to_tokens);
            quote! {
                let parts: &[::std::borrow::Cow<'static, str>] = &[#(#parts),*];
                ::std::borrow::Cow::Owned(::std::format!("one of: {}", parts.join("; ")))
            }
        }
    }
}

fn accepts(routes: &Routes<'_>) -> TokenStream2 {
    if routes.catch_all.is_some() && routes.source.is_none() {
        return quote!(true);
    }
    let nested = routes.routes.iter().filter_map(|route| match route {
        Route::Nested { detail, .. } => Some(quote_spanned!(detail.span()=>
            <#detail as ::eventbridge_lambda::Detail>::accepts(__source, __detail_type)
        )),
        Route::Keyed { .. } => None,
    });
    let keyed = keyed_by_source(routes).into_iter().map(
        |(source, types)| quote!((__source == #source && ::core::matches!(__detail_type, #(#types)|*))),
    );
    let catch_all = match (&routes.catch_all, &routes.source) {
        (Some(_), Some(source)) => Some(quote!(__source == #source)),
        _ => None,
    };
    let clauses: Vec<TokenStream2> = nested.chain(keyed).chain(catch_all).collect();
    quote!(#(#clauses)||*)
}

fn decode(routes: &Routes<'_>) -> TokenStream2 {
    let decode_json = quote!(::eventbridge_lambda::detail::decode_json);
    let routes_in_order = routes.routes.iter().map(|route| match route {
        Route::Nested {
            variant,
            detail,
            boxed,
        } => {
            let wrap = if *boxed {
                quote!(|detail| Self::#variant(::std::boxed::Box::new(detail)))
            } else {
                quote!(Self::#variant)
            };
            quote_spanned! {detail.span()=>
                if <#detail as ::eventbridge_lambda::Detail>::accepts(__source, __detail_type) {
                    return <#detail as ::eventbridge_lambda::Detail>::decode(__source, __detail_type, __detail)
                        .map(#wrap);
                }
            }
        }
        Route::Keyed {
            variant,
            field,
            source,
            detail_type,
        } => quote_spanned! {field.span()=>
            if __source == #source && __detail_type == #detail_type {
                return #decode_json::<#field>(__detail).map(Self::#variant);
            }
        },
    });
    let last = match &routes.catch_all {
        Some(CatchAll::Newtype { variant, field }) => quote_spanned! {field.span()=>
            #decode_json::<#field>(__detail).map(Self::#variant)
        },
        Some(CatchAll::Parts {
            variant,
            source,
            detail_type,
            detail,
        }) => {
            let source = source.map(|field| quote!(#field: ::core::convert::From::from(__source),));
            let detail_type = detail_type
                .map(|field| quote!(#field: ::core::convert::From::from(__detail_type),));
            quote! {
                #decode_json(__detail).map(|detail| Self::#variant {
                    #source
                    #detail_type
                    #detail: detail,
                })
            }
        }
        None => quote! {
            ::core::result::Result::Err(
                <::eventbridge_lambda::__private::serde_json::Error as ::eventbridge_lambda::__private::serde::de::Error>::custom(
                    ::core::format_args!(
                        "source {:?} with detail-type {:?} is not an event this type accepts ({})",
                        __source,
                        __detail_type,
                        <Self as ::eventbridge_lambda::Detail>::expected(),
                    ),
                ),
            )
        },
    };
    quote! {
        #(#routes_in_order)*
        #last
    }
}

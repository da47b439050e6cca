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

use crate::detail_attr::{self, DetailAttrs, Key};
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{
    Data, DataEnum, DeriveInput, Fields, GenericArgument, Ident, LitStr, PathArguments, Type,
    Variant,
};

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
    let routes = check(input, data)?;
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

/// Checks the enum's and every variant's attributes and shapes, collecting every error.
fn check<'a>(input: &'a DeriveInput, data: &'a DataEnum) -> syn::Result<Routes<'a>> {
    let attrs = detail_attr::parse(&input.attrs, &[Key::Source], "on a #[derive(Detail)] enum")?;
    let mut errors: Option<syn::Error> = None;
    let mut push = |error: syn::Error| match &mut errors {
        Some(errors) => errors.combine(error),
        None => errors = Some(error),
    };
    if data.variants.is_empty() {
        push(syn::Error::new(
            input.ident.span(),
            "#[derive(Detail)] needs at least one variant holding a detail type",
        ));
    }
    let mut routes = Vec::new();
    let mut catch_all: Option<(CatchAll<'a>, &Ident)> = None;
    let mut enum_source_used = false;
    for variant in &data.variants {
        let variant_attrs = match detail_attr::parse(
            &variant.attrs,
            &[Key::Source, Key::DetailType, Key::Other],
            "on a variant",
        ) {
            Ok(variant_attrs) => variant_attrs,
            Err(error) => {
                push(error);
                continue;
            }
        };
        if let Some(other) = variant_attrs.other {
            enum_source_used = true;
            match catch_all_of(variant, &variant_attrs, other) {
                Ok(found) => match &catch_all {
                    Some((_, first)) => push(syn::Error::new(
                        other,
                        format!(
                            "only one variant can be the `#[detail(other)]` catch-all; `{first}` already is"
                        ),
                    )),
                    None => catch_all = Some((found, &variant.ident)),
                },
                Err(error) => push(error),
            }
            continue;
        }
        enum_source_used |= variant_attrs.detail_type.is_some() && variant_attrs.source.is_none();
        match route_of(variant, variant_attrs, attrs.source.as_ref()) {
            Ok(route) => {
                if let Some(error) = duplicate_of(&route, &routes) {
                    push(error);
                }
                routes.push(route);
            }
            Err(error) => push(error),
        }
    }
    if let Some(source) = attrs.source.as_ref().filter(|_| !enum_source_used) {
        push(syn::Error::new(
            source.span(),
            "the enum's `source` applies to variants with only a `detail_type` and to the `#[detail(other)]` catch-all; no variant here uses it",
        ));
    }
    match errors {
        Some(errors) => Err(errors),
        None => Ok(Routes {
            routes,
            catch_all: catch_all.map(|(catch_all, _)| catch_all),
            source: attrs.source,
        }),
    }
}

/// The single field of a `Name(T)` variant.
fn newtype_field(variant: &Variant) -> Option<&Type> {
    match &variant.fields {
        Fields::Unnamed(fields) if fields.unnamed.len() == 1 => {
            fields.unnamed.first().map(|field| &field.ty)
        }
        _ => None,
    }
}

/// Where to point at a variant of the wrong shape: its fields, or its name when it has none.
fn shape_span(variant: &Variant) -> Span {
    match &variant.fields {
        Fields::Unit => variant.ident.span(),
        fields => fields.span(),
    }
}

fn route_of<'a>(
    variant: &'a Variant,
    attrs: DetailAttrs,
    enum_source: Option<&LitStr>,
) -> syn::Result<Route<'a>> {
    let Some(field) = newtype_field(variant) else {
        return Err(syn::Error::new(
            shape_span(variant),
            format!(
                "each variant of a #[derive(Detail)] enum holds one detail: write `{}(MyDetail)` (MyDetail: a #[derive(TypedDetail)] type or another `Detail`), or mark the catch-all #[detail(other)]",
                variant.ident
            ),
        ));
    };
    match (attrs.detail_type, attrs.source) {
        (None, None) => {
            let (detail, boxed) = match boxed(field) {
                Some(inner) => (inner, true),
                None => (field, false),
            };
            Ok(Route::Nested {
                variant: &variant.ident,
                detail,
                boxed,
            })
        }
        (None, Some(source)) => Err(syn::Error::new(
            source.span(),
            "a variant's `source` goes with its `detail_type`: #[detail(source = \"…\", detail_type = \"…\")]",
        )),
        (Some(detail_type), source) => {
            let Some(source) = source.or_else(|| enum_source.cloned()) else {
                return Err(syn::Error::new(
                    detail_type.span(),
                    "this `detail_type` needs a source: add `source = \"…\"` here or #[detail(source = \"…\")] on the enum",
                ));
            };
            Ok(Route::Keyed {
                variant: &variant.ident,
                field,
                source,
                detail_type,
            })
        }
    }
}

/// An error when `route` has the same fixed `source` and `detail-type` as an earlier variant.
fn duplicate_of(route: &Route<'_>, earlier: &[Route<'_>]) -> Option<syn::Error> {
    let Route::Keyed {
        source,
        detail_type,
        ..
    } = route
    else {
        return None;
    };
    earlier.iter().find_map(|other| match other {
        Route::Keyed {
            variant,
            source: other_source,
            detail_type: other_type,
            ..
        } if other_source.value() == source.value()
            && other_type.value() == detail_type.value() =>
        {
            Some(syn::Error::new(
                detail_type.span(),
                format!("variant `{variant}` already takes this `source` and `detail_type`"),
            ))
        }
        _ => None,
    })
}

fn catch_all_of<'a>(
    variant: &'a Variant,
    attrs: &DetailAttrs,
    other: Span,
) -> syn::Result<CatchAll<'a>> {
    if let Some(key) = attrs.source.as_ref().or(attrs.detail_type.as_ref()) {
        return Err(syn::Error::new(
            key.span(),
            "the `#[detail(other)]` catch-all takes every event no other variant takes; to keep only one source's events, put #[detail(source = \"…\")] on the enum",
        ));
    }
    let shape_error = || {
        syn::Error::new(
            if matches!(variant.fields, Fields::Unit) {
                other
            } else {
                shape_span(variant)
            },
            "the `#[detail(other)]` catch-all keeps the raw detail: write `Other(serde_json::Value)` or `Other { source: String, detail_type: String, detail: serde_json::Value }`",
        )
    };
    match &variant.fields {
        Fields::Unnamed(_) => newtype_field(variant)
            .map(|field| CatchAll::Newtype {
                variant: &variant.ident,
                field,
            })
            .ok_or_else(shape_error),
        Fields::Named(fields) => {
            let (mut source, mut detail_type, mut detail) = (None, None, None);
            for field in &fields.named {
                let Some(ident) = &field.ident else {
                    return Err(shape_error());
                };
                let slot = match ident.to_string().as_str() {
                    "source" => &mut source,
                    "detail_type" => &mut detail_type,
                    "detail" => &mut detail,
                    _ => {
                        return Err(syn::Error::new(
                            ident.span(),
                            "a `#[detail(other)]` catch-all's fields are `source`, `detail_type` and `detail` (the raw envelope parts)",
                        ));
                    }
                };
                *slot = Some(ident);
            }
            let Some(detail) = detail else {
                return Err(syn::Error::new(
                    fields.span(),
                    "a `#[detail(other)]` catch-all keeps the event's `detail`: add a `detail: serde_json::Value` field",
                ));
            };
            Ok(CatchAll::Parts {
                variant: &variant.ident,
                source,
                detail_type,
                detail,
            })
        }
        Fields::Unit => Err(shape_error()),
    }
}

/// `T` when `ty` is written `Box<T>` (any path ending in `Box`).
fn boxed(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else {
        return None;
    };
    let segment = path.path.segments.last()?;
    if path.qself.is_some() || segment.ident != "Box" {
        return None;
    }
    let PathArguments::AngleBracketed(arguments) = &segment.arguments else {
        return None;
    };
    match arguments.args.first() {
        Some(GenericArgument::Type(inner)) if arguments.args.len() == 1 => Some(inner),
        _ => None,
    }
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

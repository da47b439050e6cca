//! `#[derive(TypedDetail)]`: binds a detail struct (or enum) to one `source` and `detail-type`.

use crate::detail_attr::{self, Key};
use proc_macro2::TokenStream as TokenStream2;
use quote::quote_spanned;
use syn::{Data, DeriveInput};

/// The `impl ::eventbridge_lambda::TypedDetail` for `input`, or an error at the user's tokens.
pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream2> {
    if let Data::Union(union) = &input.data {
        return Err(syn::Error::new(
            union.union_token.span,
            "#[derive(TypedDetail)] is for a struct or enum that deserializes one event type's detail, not a union",
        ));
    }
    let attrs = detail_attr::parse(
        &input.attrs,
        &[Key::Source, Key::DetailType],
        "on a #[derive(TypedDetail)] type",
    )?;
    let name = &input.ident;
    let (source, detail_type) = match (attrs.source, attrs.detail_type) {
        (Some(source), Some(detail_type)) => (source, detail_type),
        (source, detail_type) => {
            let missing = match (source, detail_type) {
                (None, None) => "the event's `source` and `detail-type`",
                (None, Some(_)) => "the event's `source`",
                _ => "the event's `detail-type`",
            };
            return Err(syn::Error::new(
                name.span(),
                format!(
                    "#[derive(TypedDetail)] needs {missing}: add #[detail(source = \"…\", detail_type = \"…\")]"
                ),
            ));
        }
    };
    // A generic detail type deserializes only for some parameters: implement it for those.
    let mut generics = input.generics.clone();
    if generics.type_params().next().is_some() {
        generics
            .make_where_clause()
            .predicates
            .push(syn::parse_quote!(
                Self: ::eventbridge_lambda::__private::serde::de::DeserializeOwned
            ));
    }
    let (impl_generics, type_generics, where_clause) = generics.split_for_impl();
    Ok(quote_spanned! {name.span()=>
        impl #impl_generics ::eventbridge_lambda::TypedDetail for #name #type_generics #where_clause {
            const SOURCE: &'static str = #source;
            const DETAIL_TYPE: &'static str = #detail_type;
        }
    })
}

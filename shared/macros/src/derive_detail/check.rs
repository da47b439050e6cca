//! Checking a `#[derive(Detail)]` enum: its attributes and every variant's shape, each error at
//! the user's tokens.

use super::{CatchAll, Route, Routes};
use crate::detail_attr::{self, DetailAttrs, Key};
use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{
    DataEnum, DeriveInput, Fields, GenericArgument, Ident, LitStr, PathArguments, Type, Variant,
};

/// Checks the enum's and every variant's attributes and shapes, collecting every error.
pub(super) fn check<'a>(input: &'a DeriveInput, data: &'a DataEnum) -> syn::Result<Routes<'a>> {
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

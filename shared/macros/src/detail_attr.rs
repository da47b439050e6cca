//! Reading the `#[detail(...)]` attributes shared by `#[derive(TypedDetail)]` and
//! `#[derive(Detail)]`.

use proc_macro2::Span;
use syn::{Attribute, LitStr, Token};

/// A key of `#[detail(...)]`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    /// `source = "…"`.
    Source,
    /// `detail_type = "…"`.
    DetailType,
    /// `other`: the catch-all variant.
    Other,
}

impl Key {
    fn name(self) -> &'static str {
        match self {
            Self::Source => "source",
            Self::DetailType => "detail_type",
            Self::Other => "other",
        }
    }

    fn usage(self) -> &'static str {
        match self {
            Self::Source => "`source = \"…\"`",
            Self::DetailType => "`detail_type = \"…\"`",
            Self::Other => "`other`",
        }
    }
}

/// The keys given in the `#[detail(...)]` attributes of one item (a struct, an enum or a variant).
#[derive(Default)]
pub(crate) struct DetailAttrs {
    /// `source = "…"`.
    pub(crate) source: Option<LitStr>,
    /// `detail_type = "…"`.
    pub(crate) detail_type: Option<LitStr>,
    /// Where `other` was written.
    pub(crate) other: Option<Span>,
}

/// Reads every `#[detail(...)]` attribute in `attrs`, accepting only the keys in `allowed`
/// (`place` names the item for error messages, e.g. "on a variant").
pub(crate) fn parse(attrs: &[Attribute], allowed: &[Key], place: &str) -> syn::Result<DetailAttrs> {
    let mut found = DetailAttrs::default();
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("detail")) {
        attr.parse_nested_meta(|meta| {
            let key = [Key::Source, Key::DetailType, Key::Other]
                .into_iter()
                .find(|key| meta.path.is_ident(key.name()));
            let Some(key) = key.filter(|key| allowed.contains(key)) else {
                let name = meta
                    .path
                    .get_ident()
                    .map_or_else(|| "this".to_owned(), |ident| format!("`{ident}`"));
                let expected: Vec<_> = allowed.iter().map(|key| key.usage()).collect();
                return Err(meta.error(format!(
                    "unknown key {name} in #[detail(...)] {place}; expected {}",
                    expected.join(" or ")
                )));
            };
            let duplicate = || meta.error(format!("`{}` is given twice", key.name()));
            match key {
                Key::Other => {
                    if meta.input.peek(Token![=])
                        || (!meta.input.is_empty() && !meta.input.peek(Token![,]))
                    {
                        return Err(meta.error("`other` takes no value: write `#[detail(other)]`"));
                    }
                    if found
                        .other
                        .replace(meta.path.require_ident()?.span())
                        .is_some()
                    {
                        return Err(duplicate());
                    }
                }
                Key::Source | Key::DetailType => {
                    let value: LitStr = meta.value()?.parse()?;
                    if value.value().is_empty() {
                        return Err(syn::Error::new(
                            value.span(),
                            format!("`{}` cannot be empty", key.name()),
                        ));
                    }
                    let slot = if key == Key::Source {
                        &mut found.source
                    } else {
                        &mut found.detail_type
                    };
                    if slot.replace(value).is_some() {
                        return Err(duplicate());
                    }
                }
            }
            Ok(())
        })?;
    }
    Ok(found)
}

//! The de-duplication key of an event: its id or a business key, the claim token, and the hash
//! of the detail that payload validation compares.

use crate::Event;
use serde_json::Value;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use std::borrow::Cow;

/// Picks a de-duplication key (a business key) from an event; `None` falls back to the event id.
pub type KeyOf<T> = fn(&Event<T>) -> Option<String>;

/// A detail field that can serve as a business key (`#[handler(dedup_key = field)]`).
///
/// Implemented for strings, integers, references to them and `Option`s of them: `None` means the
/// event has no business key, and the event id is used instead. An empty string is a key, and the
/// dispatcher refuses it ([`EventError::EmptyBusinessKey`](crate::EventError::EmptyBusinessKey)).
/// Implement it for your own key types (one method).
///
/// ```
/// use eventbridge_lambda::dispatch::BusinessKey;
/// assert_eq!("o-1".to_owned().business_key().as_deref(), Some("o-1"));
/// assert_eq!(None::<String>.business_key(), None);
/// assert_eq!(42u64.business_key().as_deref(), Some("42"));
/// ```
pub trait BusinessKey {
    /// The key, or `None` when this event has none.
    fn business_key(&self) -> Option<Cow<'_, str>>;
}

impl BusinessKey for str {
    fn business_key(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(self))
    }
}

impl BusinessKey for String {
    fn business_key(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(self))
    }
}

impl BusinessKey for Cow<'_, str> {
    fn business_key(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(self))
    }
}

impl<K: BusinessKey + ?Sized> BusinessKey for &K {
    fn business_key(&self) -> Option<Cow<'_, str>> {
        (**self).business_key()
    }
}

impl<K: BusinessKey + ?Sized> BusinessKey for Box<K> {
    fn business_key(&self) -> Option<Cow<'_, str>> {
        (**self).business_key()
    }
}

impl<K: BusinessKey> BusinessKey for Option<K> {
    fn business_key(&self) -> Option<Cow<'_, str>> {
        self.as_ref().and_then(BusinessKey::business_key)
    }
}

macro_rules! integer_keys {
    ($($integer:ty),*) => {$(
        impl BusinessKey for $integer {
            fn business_key(&self) -> Option<Cow<'_, str>> {
                Some(Cow::Owned(self.to_string()))
            }
        }
    )*};
}
integer_keys!(
    u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize
);

/// `<namespace>#<id>`.
pub(super) fn dedup_key(namespace: &str, id: &str) -> String {
    let mut key = String::with_capacity(namespace.len() + 1 + id.len());
    key.push_str(namespace);
    key.push('#');
    key.push_str(id);
    key
}

/// A token new for every claim (128 random bits, hex).
pub(super) fn claim_token() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

/// The SHA-256 (hex) of the event's `detail` in a canonical form (object keys sorted, no
/// whitespace), so that the same detail serialized with its keys in another order hashes the
/// same. `event` is the event's JSON text; `None` when it has no readable `detail`.
pub(super) fn detail_hash(event: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct DetailOf<'a> {
        #[serde(borrow)]
        detail: Option<&'a RawValue>,
    }
    let detail = serde_json::from_slice::<DetailOf<'_>>(event).ok()?.detail?;
    let value: Value = serde_json::from_str(detail.get()).ok()?;
    let mut canonical = String::with_capacity(detail.get().len());
    write_canonical(&value, &mut canonical);
    let digest = Sha256::digest(canonical.as_bytes());
    Some(digest.iter().map(|byte| format!("{byte:02x}")).collect())
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (index, (key, value)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                out.push_str(&Value::from(key.as_str()).to_string());
                out.push(':');
                write_canonical(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn key_order_and_whitespace_do_not_change_the_hash() {
        let a = detail_hash(br#"{"id":"1","detail":{"a":1,"b":{"x":[1,2],"y":"z"}}}"#).unwrap();
        let b = detail_hash(br#"{"detail": { "b": {"y": "z", "x": [1, 2]}, "a": 1 }, "id":"2"}"#)
            .unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn a_different_detail_changes_the_hash() {
        let a = detail_hash(br#"{"detail":{"order_id":"o-1","total":10}}"#).unwrap();
        let b = detail_hash(br#"{"detail":{"order_id":"o-1","total":11}}"#).unwrap();
        assert_ne!(a, b);
        assert_eq!(detail_hash(br#"{"id":"no detail"}"#), None);
    }

    #[test]
    fn tokens_differ() {
        assert_ne!(claim_token(), claim_token());
    }
}

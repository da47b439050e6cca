//! A one-pass reader for the EventBridge envelope, for details whose type does not depend on
//! `source` and `detail-type` ([`Detail::DECODE_IGNORES_TYPE`], every `TypedDetail`).
//!
//! The envelope's own fields are short strings; this reader takes them straight from the payload
//! (a string without escapes is copied as it is), and decodes the `detail` object in place
//! ([`Detail::decode_from`]) with [`super::de`] (or, when that leaves it, with serde_json, which
//! also says where it ends). Like
//! [`super::sqs`], it is strict: anything it does not expect (`Records`, a repeated field, a
//! field of another type, a syntax error, …) makes it give up with `None`, and the caller reads
//! the payload with serde_json instead. So when it succeeds, it has read exactly the fields the
//! serde paths would have read.

use super::json::{MAX_DEPTH, Reader};
use super::{DetailSlot, Envelope, Key, de};
use crate::Detail;
use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer};
use std::borrow::Cow;

/// Reads an envelope. `None` when this reader leaves the payload to serde_json (always when `T`'s
/// decoding depends on the type fields).
pub(super) fn read<T: Detail>(text: &str) -> Option<Envelope<'_, T, IgnoredAny>> {
    if !T::DECODE_IGNORES_TYPE {
        return None;
    }
    let mut reader = Reader::new(text);
    let mut envelope = Envelope::empty();
    let mut seen = 0u16;
    reader.expect(b'{')?;
    if reader.peek()? == b'}' {
        reader.pos += 1;
    } else {
        loop {
            reader.expect(b'"')?;
            let key = reader.key()?;
            reader.expect(b':')?;
            // Any field the envelope does not have is ignored (`Other`), as by serde.
            let field = Key::of(key);
            let bit = 1 << field as u16;
            if field != Key::Other && seen & bit != 0 {
                return None; // a repeated field
            }
            seen |= bit;
            match field {
                Key::Version => envelope.version = reader.optional_string()?,
                Key::Id => envelope.id = reader.optional_string()?,
                Key::DetailType => envelope.detail_type = reader.optional_string()?,
                Key::Source => envelope.source = reader.optional_string()?,
                Key::Account => envelope.account = reader.optional_string()?,
                Key::Time => {
                    envelope.time = match reader.optional_str()? {
                        Some(Cow::Borrowed(text)) => Some(Cow::Borrowed(text)),
                        // Escapes in a timestamp: left to serde_json.
                        Some(Cow::Owned(_)) => return None,
                        None => None,
                    }
                }
                Key::Region => envelope.region = reader.optional_string()?,
                Key::ReplayName => envelope.replay_name = reader.optional_string()?,
                Key::Resources => envelope.resources = reader.optional_strings()?,
                Key::Detail => envelope.detail = detail(&mut reader)?,
                Key::Other => reader.skip_value(MAX_DEPTH)?,
                // An SQS event (or something stranger): the serde paths read `Records`.
                Key::Records => return None,
            }
            match reader.peek()? {
                b',' => reader.pos += 1,
                b'}' => {
                    reader.pos += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    reader.skip_whitespace();
    (reader.pos == reader.bytes.len()).then_some(envelope)
}

/// The `detail` value: `null`, or an object decoded in place by serde_json.
fn detail<'a, T: Detail>(reader: &mut Reader<'a>) -> Option<Option<DetailSlot<'a, T>>> {
    match reader.peek()? {
        b'n' => reader.literal(b"null").map(|()| None),
        b'{' => {
            let start = reader.pos;
            if let Ok(detail) = T::decode_from("", "", &mut de::Deserializer::new(reader)) {
                return Some(Some(DetailSlot::Decoded(detail)));
            }
            // Left to serde_json, which also says where the detail ends.
            reader.pos = start;
            let rest = reader.text.get(start..)?;
            let mut values = serde_json::Deserializer::from_str(rest).into_iter::<InPlace<T>>();
            let InPlace(detail) = values.next()?.ok()?;
            reader.pos += values.byte_offset();
            Some(Some(DetailSlot::Decoded(detail)))
        }
        _ => None,
    }
}

/// A detail decoded by [`Detail::decode_from`], without the type fields (which `T` ignores).
struct InPlace<T>(T);

impl<'de, T: Detail> Deserialize<'de> for InPlace<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::decode_from("", "", deserializer).map(InPlace)
    }
}

//! Payload bytes → [`Event<T>`], with errors that name the problem and the event id.
//!
//! The result is defined by two steps, so that every error can name the event: the envelope is
//! read first with the detail kept as raw JSON, then the detail type is checked against `T` and
//! only then is the detail decoded. No step panics; every failure is a [`DecodeError`].
//!
//! Faster readers give the same result, tried in this order:
//!
//! 1. an SQS event is read by a one-pass reader that unescapes each message body (a JSON string)
//!    into a buffer reused across batches; each body is then decoded as below;
//! 2. when the detail's type does not depend on `source` and `detail-type` (every
//!    [`TypedDetail`](crate::TypedDetail)), a one-pass envelope reader copies the envelope's
//!    strings straight from the payload and decodes the detail in place
//!    ([`Detail::decode_from`]), with its own small deserializer or else serde_json;
//! 3. otherwise serde_json reads the envelope in one pass, decoding the detail in place when
//!    `source` and `detail-type` come before it and `T` accepts them.
//!
//! Each of them only ever *succeeds* with the value the two steps would give (the tests in
//! `decode/tests.rs` compare them on several thousand payloads); on any failure, or anything they
//! do not handle, the next one reads the payload, and the two steps, last, produce the error.
use crate::{Detail, Event};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

mod de;
mod envelope;
mod json;
mod sqs;
#[cfg(test)]
mod tests;

pub(crate) use sqs::Batch;

/// The likely cause of a missing envelope field, for [`DecodeError::Envelope`]'s message.
fn replaced_event_hint(reason: &str) -> &'static str {
    const FIELDS: [&str; 3] = ["`source`", "`detail-type`", "`detail`"];
    match reason.strip_prefix("missing field ") {
        Some(field) if FIELDS.contains(&field) => {
            " (a typed handler takes the whole event: does the rule's target replace it with Input, InputPath or InputTransformer?)"
        }
        _ => "",
    }
}

/// Why a payload is not a usable `Event<T>`.
///
/// Every variant's message names the event by id when the payload had one.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The payload is not JSON at all.
    #[error("payload is not valid JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// The payload is JSON but not an EventBridge envelope (not an object, a field of the wrong
    /// type, a required field missing, an unreadable `time`). When an envelope field is missing,
    /// the message also says the usual cause: the rule's target replaced the event with `Input`,
    /// `InputPath` or `InputTransformer`, which a handler over `Event<T>` cannot take.
    #[error(
        "{id}: not an EventBridge event: {reason}{}",
        replaced_event_hint(reason)
    )]
    Envelope {
        /// The event id, when the payload had one.
        id: EventId,
        /// What is wrong.
        reason: String,
    },
    /// `detail` is not a JSON object (EventBridge only accepts objects).
    #[error("{id}: `detail` must be a JSON object, found {found}")]
    DetailNotObject {
        /// The event id.
        id: EventId,
        /// The JSON type found (`array`, `string`, …).
        found: &'static str,
    },
    /// The event is of another type than the handler accepts.
    #[error(
        "{id}: unexpected event type: source {event_source:?} with detail-type {detail_type:?}; this handler accepts {expected}"
    )]
    UnexpectedType {
        /// The event id.
        id: EventId,
        /// The event's `source`.
        event_source: String,
        /// The event's `detail-type`.
        detail_type: String,
        /// What the handler accepts.
        expected: Cow<'static, str>,
    },
    /// `detail` has the wrong shape for its type.
    #[error("{id} ({detail_type}): invalid detail: {error}")]
    Detail {
        /// The event id.
        id: EventId,
        /// The event's `detail-type`.
        detail_type: String,
        /// The serde error, prefixed with the path of the offending field.
        #[source]
        error: serde_json::Error,
    },
}

impl DecodeError {
    /// The id of the event the error is about, when known.
    ///
    /// ```
    /// use eventbridge_lambda::{OrderCreated, decode::decode_event};
    /// let error = decode_event::<OrderCreated>(br#"{"id":"e-1","source":"s","detail":{}}"#).unwrap_err();
    /// assert_eq!(error.event_id(), Some("e-1"));
    /// ```
    pub fn event_id(&self) -> Option<&str> {
        match self {
            Self::Json(_) => None,
            Self::Envelope { id, .. }
            | Self::DetailNotObject { id, .. }
            | Self::UnexpectedType { id, .. }
            | Self::Detail { id, .. } => id.0.as_deref(),
        }
    }
}

/// An optional event id that displays as `event <id>` or `event without id`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventId(pub Option<String>);

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(id) => write!(f, "event {id}"),
            None => f.write_str("event without id"),
        }
    }
}

/// The envelope with every field optional, as either path reads it: `records` is an SQS event's
/// `Records` (so that one parse tells the delivery mode and reads the envelope), `detail` is
/// decoded in place or kept raw.
pub(crate) struct Envelope<'a, T, R> {
    records: Option<R>,
    version: Option<String>,
    id: Option<String>,
    detail_type: Option<String>,
    source: Option<String>,
    account: Option<String>,
    time: Option<Cow<'a, str>>,
    region: Option<String>,
    replay_name: Option<String>,
    resources: Option<Vec<String>>,
    detail: Option<DetailSlot<'a, T>>,
}

impl<T, R> Envelope<'_, T, R> {
    fn empty() -> Self {
        Self {
            records: None,
            version: None,
            id: None,
            detail_type: None,
            source: None,
            account: None,
            time: None,
            region: None,
            replay_name: None,
            resources: None,
            detail: None,
        }
    }
}

/// The detail as the envelope parse left it.
enum DetailSlot<'a, T> {
    /// Captured as raw JSON, decoded (or rejected) by [`finish`].
    Raw(&'a RawValue),
    /// Decoded in place by [`Detail::decode_from`]: a JSON object of an accepted type.
    Decoded(T),
}

/// The two-step path's envelope (the reference behaviour): every field optional, the detail
/// unparsed.
#[derive(Deserialize)]
struct RawEnvelope<'a> {
    #[serde(default, rename = "Records", borrow)]
    records: Option<Vec<SqsRecord<'a>>>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default, rename = "detail-type")]
    detail_type: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    account: Option<String>,
    #[serde(default, borrow)]
    time: Option<Cow<'a, str>>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default, rename = "replay-name")]
    replay_name: Option<String>,
    #[serde(default)]
    resources: Option<Vec<String>>,
    #[serde(default, borrow)]
    detail: Option<&'a RawValue>,
}

impl<'a> RawEnvelope<'a> {
    fn into_envelope<T>(self) -> Envelope<'a, T, Vec<SqsRecord<'a>>> {
        Envelope {
            records: self.records,
            version: self.version,
            id: self.id,
            detail_type: self.detail_type,
            source: self.source,
            account: self.account,
            time: self.time,
            region: self.region,
            replay_name: self.replay_name,
            resources: self.resources,
            detail: self.detail.map(DetailSlot::Raw),
        }
    }
}

/// The parts of an SQS message the dispatcher reads, as the two-step path reads them (the body is
/// unescaped only when it has escapes, which an EventBridge event as a JSON string always has).
#[derive(Deserialize)]
struct SqsRecord<'a> {
    #[serde(rename = "messageId", borrow, default)]
    message_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    body: Option<Cow<'a, str>>,
    #[serde(rename = "eventSourceARN", borrow, default)]
    event_source_arn: Option<Cow<'a, str>>,
}

/// A Lambda payload in either delivery mode.
pub(crate) enum Payload<'a, T> {
    /// The payload is one EventBridge event (or, when it could not be read, a direct failure).
    Direct(Result<Event<T>, DecodeError>),
    /// The payload is an SQS batch; each body is decoded with [`decode_str`] when its turn comes.
    Batch(Batch<'a>),
}

/// Only the id, to name an event whose envelope has a type error elsewhere.
#[derive(Deserialize)]
struct IdOnly {
    #[serde(default)]
    id: Option<serde_json::Value>,
}

/// Decodes an EventBridge event whose detail is a `T`.
///
/// ```
/// use eventbridge_lambda::{DecodeError, InstanceState, InstanceStateChange, OrderCreated, decode::decode_event};
/// let payload = br#"{"version":"0","id":"e-1","detail-type":"EC2 Instance State-change Notification",
///   "source":"aws.ec2","account":"123456789012","time":"2021-11-11T21:29:54Z","region":"us-east-1",
///   "resources":[],"detail":{"instance-id":"i-1","state":"stopped"}}"#;
/// let event = decode_event::<InstanceStateChange>(payload).unwrap();
/// assert_eq!(event.detail.state, InstanceState::Stopped);
///
/// // The same event given to an OrderCreated handler is a typed error, not a serde message:
/// let error = decode_event::<OrderCreated>(payload).unwrap_err();
/// assert!(matches!(error, DecodeError::UnexpectedType { .. }));
/// assert!(error.to_string().starts_with("event e-1: unexpected event type"), "{error}");
/// ```
///
/// # Errors
/// A [`DecodeError`] naming the problem and the event id.
pub fn decode_event<T: Detail>(payload: &[u8]) -> Result<Event<T>, DecodeError> {
    decode_str(utf8(payload)?)
}

/// [`decode_event`] for text that is already known to be UTF-8 (an SQS message body).
pub(crate) fn decode_str<T: Detail>(text: &str) -> Result<Event<T>, DecodeError> {
    if let Some(envelope) = envelope::read::<T>(text) {
        return finish(envelope);
    }
    match read_fast::<T, IgnoredAny>(text) {
        // A payload with `Records` is left to the two-step path, which reads them.
        Ok(envelope) if envelope.records.is_none() => finish(envelope),
        _ => finish(read_envelope_str(text)?.into_envelope()),
    }
}

/// Reads a Lambda payload in whichever delivery mode it is: one event, decoded, or an SQS batch.
pub(crate) fn decode_payload<T: Detail>(payload: &[u8]) -> Payload<'_, T> {
    let text = match utf8(payload) {
        Ok(text) => text,
        Err(error) => return Payload::Direct(Err(error)),
    };
    if let Some(batch) = sqs::read_batch(text) {
        return Payload::Batch(batch);
    }
    if let Some(envelope) = envelope::read::<T>(text) {
        return Payload::Direct(finish(envelope));
    }
    match read_fast::<T, IgnoredAny>(text) {
        Ok(envelope) if envelope.records.is_none() => return Payload::Direct(finish(envelope)),
        _ => {}
    }
    // The two-step path: an SQS event the one-pass reader left alone, or any failure.
    match read_envelope_str(text) {
        Err(error) => Payload::Direct(Err(error)),
        Ok(mut envelope) => match envelope.records.take() {
            Some(records) => {
                Payload::Batch(Batch::from_parts(records.into_iter().map(|record| {
                    (record.message_id, record.body, record.event_source_arn)
                })))
            }
            None => Payload::Direct(finish(envelope.into_envelope())),
        },
    }
}

/// The payload as text: one UTF-8 check of the whole payload, then the faster `&str` reader (the
/// slice reader validates every borrowed string again).
fn utf8(payload: &[u8]) -> Result<&str, DecodeError> {
    std::str::from_utf8(payload).map_err(|error| {
        DecodeError::Json(<serde_json::Error as serde::de::Error>::custom(
            format_args!("payload is not UTF-8: {error}"),
        ))
    })
}

/// Reads the envelope the two-step way: the payload is a JSON object with envelope-typed fields.
fn read_envelope_str(text: &str) -> Result<RawEnvelope<'_>, DecodeError> {
    serde_json::from_str(text).map_err(|error| classify_envelope_error(text.as_bytes(), error))
}

/// Reads the envelope in one pass, decoding an accepted detail in place. Succeeds only when the
/// two-step path would read the same fields (it is stricter: a repeated field or a `time` with
/// escapes, for instance, is an error here), so its errors are never reported.
fn read_fast<'a, T: Detail, R: Deserialize<'a>>(
    text: &'a str,
) -> Result<Envelope<'a, T, R>, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let envelope = (&mut deserializer).deserialize_map(EnvelopeVisitor(PhantomData))?;
    deserializer.end()?;
    Ok(envelope)
}

/// The envelope's field names.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    Records,
    Version,
    Id,
    DetailType,
    Source,
    Account,
    Time,
    Region,
    ReplayName,
    Resources,
    Detail,
    Other,
}

impl Key {
    /// The field named `name` (both envelope readers, serde's and [`envelope`]'s, use this).
    fn of(name: &str) -> Key {
        match name {
            "Records" => Key::Records,
            "version" => Key::Version,
            "id" => Key::Id,
            "detail-type" => Key::DetailType,
            "source" => Key::Source,
            "account" => Key::Account,
            "time" => Key::Time,
            "region" => Key::Region,
            "replay-name" => Key::ReplayName,
            "resources" => Key::Resources,
            "detail" => Key::Detail,
            _ => Key::Other,
        }
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

struct KeyVisitor;

impl Visitor<'_> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a field name")
    }

    fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Key, E> {
        Ok(Key::of(name))
    }
}

/// Reads an envelope object (only an object: the two-step path's other forms are left to it).
struct EnvelopeVisitor<T, R>(PhantomData<fn() -> (T, R)>);

impl<'de, T: Detail, R: Deserialize<'de>> Visitor<'de> for EnvelopeVisitor<T, R> {
    type Value = Envelope<'de, T, R>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an EventBridge event")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut envelope = Envelope::empty();
        let mut seen = 0u16;
        while let Some(key) = map.next_key::<Key>()? {
            if key != Key::Other {
                let bit = 1 << key as u16;
                if seen & bit != 0 {
                    return Err(A::Error::custom("repeated field"));
                }
                seen |= bit;
            }
            match key {
                Key::Records => envelope.records = map.next_value::<Option<R>>()?,
                Key::Version => envelope.version = map.next_value()?,
                Key::Id => envelope.id = map.next_value()?,
                Key::DetailType => envelope.detail_type = map.next_value()?,
                Key::Source => envelope.source = map.next_value()?,
                Key::Account => envelope.account = map.next_value()?,
                Key::Time => envelope.time = map.next_value::<Option<&str>>()?.map(Cow::Borrowed),
                Key::Region => envelope.region = map.next_value()?,
                Key::ReplayName => envelope.replay_name = map.next_value()?,
                Key::Resources => envelope.resources = map.next_value()?,
                Key::Detail => {
                    let inline = match (&envelope.source, &envelope.detail_type) {
                        (Some(source), Some(detail_type)) => T::accepts(source, detail_type)
                            .then_some((source.as_str(), detail_type.as_str())),
                        // `detail` before the type fields: `finish` checks them.
                        _ => T::DECODE_IGNORES_TYPE.then_some(("", "")),
                    };
                    envelope.detail = match inline {
                        Some((source, detail_type)) => map
                            .next_value_seed(InlineDetail::<T> {
                                source,
                                detail_type,
                                detail: PhantomData,
                            })?
                            .map(DetailSlot::Decoded),
                        None => map.next_value::<Option<&RawValue>>()?.map(DetailSlot::Raw),
                    };
                }
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(envelope)
    }
}

/// Decodes an accepted detail in place; `null` is an absent detail, as for `Option<&RawValue>`.
struct InlineDetail<'s, T> {
    source: &'s str,
    detail_type: &'s str,
    detail: PhantomData<fn() -> T>,
}

impl<'de, T: Detail> DeserializeSeed<'de> for InlineDetail<'_, T> {
    type Value = Option<T>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<T>, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de, T: Detail> Visitor<'de> for InlineDetail<'_, T> {
    type Value = Option<T>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an event detail")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<T>, D::Error> {
        T::decode_from(self.source, self.detail_type, deserializer).map(Some)
    }
}

/// Checks the envelope and decodes the detail when it is still raw (second step).
fn finish<T: Detail, R>(envelope: Envelope<'_, T, R>) -> Result<Event<T>, DecodeError> {
    let Envelope {
        version,
        id,
        detail_type,
        source,
        account,
        time,
        region,
        replay_name,
        resources,
        detail,
        ..
    } = envelope;
    // The id is only copied into an error; the happy path moves every field once.
    let event_id = || EventId(id.clone());
    let (detail_type, source, detail) = match (detail_type, source, detail) {
        (Some(detail_type), Some(source), Some(detail)) => (detail_type, source, detail),
        (detail_type, source, _) => {
            let field = match (detail_type, source) {
                (None, _) => "detail-type",
                (_, None) => "source",
                _ => "detail",
            };
            return Err(DecodeError::Envelope {
                id: event_id(),
                reason: format!("missing field `{field}`"),
            });
        }
    };
    let time = match time {
        None => None,
        Some(text) => Some(parse_time(&text).map_err(|reason| DecodeError::Envelope {
            id: event_id(),
            reason,
        })?),
    };
    // A detail decoded in place is an object.
    if let DetailSlot::Raw(raw) = detail
        && let Some(found) = non_object_kind(raw)
    {
        return Err(DecodeError::DetailNotObject {
            id: event_id(),
            found,
        });
    }
    if !T::accepts(&source, &detail_type) {
        return Err(DecodeError::UnexpectedType {
            id: event_id(),
            event_source: source,
            detail_type,
            expected: T::expected(),
        });
    }
    let detail = match detail {
        DetailSlot::Decoded(detail) => detail,
        DetailSlot::Raw(raw) => {
            T::decode(&source, &detail_type, raw).map_err(|error| DecodeError::Detail {
                id: event_id(),
                detail_type: detail_type.clone(),
                error,
            })?
        }
    };
    Ok(Event {
        version: version.unwrap_or_else(|| "0".to_owned()),
        id,
        detail_type,
        source,
        account,
        time,
        region,
        replay_name,
        resources: resources.unwrap_or_default(),
        detail,
    })
}

/// Tells apart "not JSON" from "JSON, but not an envelope", recovering the id when possible.
fn classify_envelope_error(payload: &[u8], error: serde_json::Error) -> DecodeError {
    match error.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            DecodeError::Json(error)
        }
        _ => {
            let id = serde_json::from_slice::<IdOnly>(payload)
                .ok()
                .and_then(|only| only.id)
                .map(|id| match id {
                    serde_json::Value::String(text) => text,
                    other => other.to_string(),
                });
            let reason = if payload_is_object(payload) {
                error.to_string()
            } else {
                "the payload is not a JSON object".to_owned()
            };
            DecodeError::Envelope {
                id: EventId(id),
                reason,
            }
        }
    }
}

fn payload_is_object(payload: &[u8]) -> bool {
    payload.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    if let Some(at) = parse_time_utc_seconds(text) {
        return Ok(at);
    }
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|error| format!("`time` {text:?} is not an RFC 3339 timestamp: {error}"))
}

/// The form EventBridge writes, `YYYY-MM-DDTHH:MM:SSZ`, read directly: the same instant
/// [`DateTime::parse_from_rfc3339`] gives, for a fraction of its cost. `None` for any other text
/// (another form, an invalid date, a leap second), which the RFC 3339 parser then reads.
fn parse_time_utc_seconds(text: &str) -> Option<DateTime<Utc>> {
    let bytes: &[u8; 20] = text.as_bytes().try_into().ok()?;
    let number = |digits: &[u8]| {
        digits.iter().try_fold(0u32, |value, &digit| {
            digit
                .is_ascii_digit()
                .then(|| value * 10 + u32::from(digit - b'0'))
        })
    };
    let separators = [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'Z'),
    ];
    if separators.iter().any(|&(at, byte)| bytes[at] != byte) {
        return None;
    }
    let year = number(&bytes[0..4]).filter(|year| *year >= 1000)?;
    let date = chrono::NaiveDate::from_ymd_opt(
        i32::try_from(year).ok()?,
        number(&bytes[5..7])?,
        number(&bytes[8..10])?,
    )?;
    let at = date.and_hms_opt(
        number(&bytes[11..13])?,
        number(&bytes[14..16])?,
        number(&bytes[17..19])?,
    )?;
    Some(at.and_utc())
}

/// The JSON kind of `detail` when it is not an object.
fn non_object_kind(detail: &RawValue) -> Option<&'static str> {
    match detail.get().as_bytes().first() {
        Some(b'{') => None,
        Some(b'[') => Some("an array"),
        Some(b'"') => Some("a string"),
        Some(b'n') => Some("null"),
        Some(b't' | b'f') => Some("a boolean"),
        _ => Some("a number"),
    }
}

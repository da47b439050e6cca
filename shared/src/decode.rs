//! Payload bytes → [`Event<T>`], with errors that name the problem and the event id.
//!
//! The result is defined by two steps, so that every error can name the event: the envelope is
//! read first with the detail kept as raw JSON, then the detail type is checked against `T` and
//! only then is the detail decoded. No step panics; every failure is a [`DecodeError`].
//!
//! One faster reader stands in front of it, for the SQS event that wraps events delivered through a
//! queue (`{"Records": [...]}`): each message body is an EventBridge event written as a JSON
//! string, and the reader unescapes every body in the scan that finds its end, into a buffer
//! reused across batches (`decode/sqs.rs`). It only ever succeeds with the records serde_json
//! would read; on anything it does not expect it gives up, and serde_json reads the payload. Each
//! body is then decoded in the two steps above. `shared/fuzz` holds it to the plain serde_json
//! decoding; `docs/benchmarks.md` says why it is the only one (the one-pass envelope reader, the
//! in-place detail deserializer and the one-pass serde envelope visitor each saved under 20% of a
//! delivery's per-event cost, and were removed).
use crate::{Detail, Event};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

pub(crate) mod custom_bus;
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
    /// A Custom Event Bus record's `Metadata` or `SystemMetadata` is not what AWS documents (an
    /// object whose system values are strings). Names the record by its bus event id
    /// (`aws:EventId`) when that much could be read.
    #[error("{id}: unreadable Custom Event Bus record metadata: {error}")]
    CustomBusMetadata {
        /// The record's `aws:EventId`, when readable.
        id: EventId,
        /// The serde error.
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
            | Self::Detail { id, .. }
            | Self::CustomBusMetadata { id, .. } => id.0.as_deref(),
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

/// The envelope as the first step reads it: every field optional, the detail unparsed, and
/// `Records` read too, so that one parse tells an SQS event from a direct one.
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
    /// `Data` of a Custom Event Bus `WITH_METADATA` record (delivered alone when the
    /// subscriber's `MaxBatchSize` is 1).
    #[serde(default, rename = "Data", borrow)]
    custom_bus_data: Option<&'a RawValue>,
    /// `SystemMetadata` of such a record.
    #[serde(default, rename = "SystemMetadata", borrow)]
    custom_bus_system: Option<&'a RawValue>,
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
    /// The payload is a Custom Event Bus delivery: its records, each decoded with
    /// [`custom_bus::decode_record`] when its turn comes (an empty array is left to the
    /// dispatcher, which refuses it).
    CustomBus(Vec<&'a RawValue>),
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
    finish(read_envelope_str(text)?)
}

/// Reads a Lambda payload in whichever delivery mode it is: one event, decoded, an SQS batch, or
/// the records of a Custom Event Bus delivery.
///
/// A Custom Event Bus delivery is a JSON array, or a single `WITH_METADATA` record (an object
/// with `Data` and `SystemMetadata`). A single `RAW` record (`MaxBatchSize` 1) is the Classic
/// envelope alone, which nothing tells from a direct rule invocation: it is handled as one, with
/// the same result (the handler runs once; a failure fails the invocation).
pub(crate) fn decode_payload<T: Detail>(payload: &[u8]) -> Payload<'_, T> {
    let text = match utf8(payload) {
        Ok(text) => text,
        Err(error) => return Payload::Direct(Err(error)),
    };
    if let Some(batch) = sqs::read_batch(text) {
        return Payload::Batch(batch);
    }
    if text
        .trim_start_matches([' ', '\n', '\r', '\t'])
        .starts_with('[')
    {
        return match custom_bus::read_array(text) {
            Ok(records) => Payload::CustomBus(records),
            Err(error) => Payload::Direct(Err(error)),
        };
    }
    // An SQS event the one-pass reader left alone, a single Custom Event Bus record, or a direct
    // event.
    match read_envelope_str(text) {
        Err(error) => Payload::Direct(Err(error)),
        Ok(mut envelope) => match envelope.records.take() {
            Some(records) => {
                Payload::Batch(Batch::from_parts(records.into_iter().map(|record| {
                    (record.message_id, record.body, record.event_source_arn)
                })))
            }
            None if custom_bus::is_record_with_metadata(
                envelope.custom_bus_data,
                envelope.custom_bus_system,
            ) =>
            {
                match serde_json::from_str::<&RawValue>(text) {
                    Ok(record) => Payload::CustomBus(vec![record]),
                    Err(error) => Payload::Direct(Err(DecodeError::Json(error))),
                }
            }
            None => Payload::Direct(finish(envelope)),
        },
    }
}

/// Decodes one record of a Custom Event Bus delivery (`Transformer: RAW` or `WITH_METADATA`),
/// attaching its `Metadata` and `SystemMetadata` ([`Event::custom_bus`]).
///
/// ```
/// use eventbridge_lambda::{OrderCreated, decode::decode_custom_bus_record};
/// let record = br#"{"Data": {"id": "e-1", "source": "com.ecommerce.orders", "detail-type": "OrderCreated",
///   "detail": {"order_id": "o-1", "customer_email": "a@b.example", "items": [], "timestamp": "2023-10-27T10:00:00Z"}},
///   "Metadata": {}, "SystemMetadata": {"aws:DeliveryType": "REPLAY", "aws:EventId": "bus-1", "EventGroupId": "o-1"}}"#;
/// let event = decode_custom_bus_record::<OrderCreated>(record).unwrap();
/// assert!(event.is_replay());
/// assert_eq!(event.delivery_id(), Some("bus-1"));
/// assert_eq!(event.id.as_deref(), Some("e-1"));
/// ```
///
/// # Errors
/// The [`DecodeError`] of the envelope in `Data` (or of the record itself, for a `RAW` one), or
/// [`DecodeError::CustomBusMetadata`].
pub fn decode_custom_bus_record<T: Detail>(record: &[u8]) -> Result<Event<T>, DecodeError> {
    custom_bus::decode_record(utf8(record)?).event
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

/// Checks the envelope, then the detail type, then decodes the detail (second step).
fn finish<T: Detail>(envelope: RawEnvelope<'_>) -> Result<Event<T>, DecodeError> {
    let RawEnvelope {
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
    if let Some(found) = non_object_kind(detail) {
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
    let detail = T::decode(&source, &detail_type, detail).map_err(|error| DecodeError::Detail {
        id: event_id(),
        detail_type: detail_type.clone(),
        error,
    })?;
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
        custom_bus: None,
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

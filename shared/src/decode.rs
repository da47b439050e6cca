//! Payload bytes → [`Event<T>`], with errors that name the problem and the event id.
//!
//! Decoding happens in two steps so every error can name the event: the envelope is read first
//! with the detail kept as raw JSON, then the detail type is checked against `T` and only then is
//! the detail decoded. No step panics; every failure is a [`DecodeError`].

use crate::{Detail, Event};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// Why a payload is not a usable `Event<T>`.
///
/// Every variant's message names the event by id when the payload had one.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The payload is not JSON at all.
    #[error("payload is not valid JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// The payload is JSON but not an EventBridge envelope (not an object, a field of the wrong
    /// type, a required field missing, an unreadable `time`).
    #[error("{id}: not an EventBridge event: {reason}")]
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

/// The envelope with every field optional and the detail unparsed. Also sees an SQS event's
/// `Records`, so that one parse tells the delivery mode and reads the envelope.
#[derive(Deserialize)]
pub(crate) struct RawEnvelope<'a> {
    #[serde(default, rename = "Records", borrow)]
    pub(crate) records: Option<Vec<SqsRecord<'a>>>,
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

/// The parts of an SQS message the dispatcher reads (the body is unescaped only when it has
/// escapes, which an EventBridge event as a JSON string always has).
#[derive(Deserialize)]
pub(crate) struct SqsRecord<'a> {
    #[serde(rename = "messageId", borrow, default)]
    pub(crate) message_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) body: Option<Cow<'a, str>>,
    #[serde(rename = "eventSourceARN", borrow, default)]
    pub(crate) event_source_arn: Option<Cow<'a, str>>,
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
    finish(read_envelope(payload)?)
}

/// Reads the envelope (first step): the payload is a JSON object with envelope-typed fields.
pub(crate) fn read_envelope(payload: &[u8]) -> Result<RawEnvelope<'_>, DecodeError> {
    // One UTF-8 check of the whole payload, then the faster `&str` reader (the slice reader
    // validates every borrowed string again).
    let text = std::str::from_utf8(payload).map_err(|error| {
        DecodeError::Json(<serde_json::Error as serde::de::Error>::custom(
            format_args!("payload is not UTF-8: {error}"),
        ))
    })?;
    read_envelope_str(text)
}

/// [`read_envelope`] for text that is already known to be UTF-8 (an SQS message body).
pub(crate) fn read_envelope_str(text: &str) -> Result<RawEnvelope<'_>, DecodeError> {
    serde_json::from_str(text).map_err(|error| classify_envelope_error(text.as_bytes(), error))
}

/// Checks the envelope and decodes the detail (second step).
pub(crate) fn finish<T: Detail>(envelope: RawEnvelope<'_>) -> Result<Event<T>, DecodeError> {
    // The id is only copied into an error; the happy path moves every field once.
    let id = || EventId(envelope.id.clone());
    let missing = |field: &str| DecodeError::Envelope {
        id: id(),
        reason: format!("missing field `{field}`"),
    };
    let (Some(detail_type), Some(source), Some(detail)) =
        (&envelope.detail_type, &envelope.source, envelope.detail)
    else {
        let field = match (&envelope.detail_type, &envelope.source) {
            (None, _) => "detail-type",
            (_, None) => "source",
            _ => "detail",
        };
        return Err(missing(field));
    };
    let time = match &envelope.time {
        None => None,
        Some(text) => {
            Some(parse_time(text).map_err(|reason| DecodeError::Envelope { id: id(), reason })?)
        }
    };
    if let Some(found) = non_object_kind(detail) {
        return Err(DecodeError::DetailNotObject { id: id(), found });
    }
    if !T::accepts(source, detail_type) {
        return Err(DecodeError::UnexpectedType {
            id: id(),
            event_source: source.clone(),
            detail_type: detail_type.clone(),
            expected: T::expected(),
        });
    }
    let detail = T::decode(source, detail_type, detail).map_err(|error| DecodeError::Detail {
        id: id(),
        detail_type: detail_type.clone(),
        error,
    })?;
    let RawEnvelope {
        version,
        id,
        detail_type,
        source,
        account,
        region,
        replay_name,
        resources,
        ..
    } = envelope;
    Ok(Event {
        version: version.unwrap_or_else(|| "0".to_owned()),
        id,
        detail_type: detail_type.unwrap_or_default(),
        source: source.unwrap_or_default(),
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
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|error| format!("`time` {text:?} is not an RFC 3339 timestamp: {error}"))
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

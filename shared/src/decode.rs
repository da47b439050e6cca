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

/// The envelope with every field optional and the detail unparsed.
#[derive(Deserialize)]
struct RawEnvelope<'a> {
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
    let envelope: RawEnvelope<'_> = match serde_json::from_slice(payload) {
        Ok(envelope) => envelope,
        Err(error) => return Err(classify_envelope_error(payload, error)),
    };
    let id = EventId(envelope.id.clone());
    let missing = |field: &str| DecodeError::Envelope {
        id: id.clone(),
        reason: format!("missing field `{field}`"),
    };
    let detail_type = envelope.detail_type.ok_or_else(|| missing("detail-type"))?;
    let source = envelope.source.ok_or_else(|| missing("source"))?;
    let detail = envelope.detail.ok_or_else(|| missing("detail"))?;
    let time = match envelope.time {
        None => None,
        Some(text) => Some(parse_time(&text).map_err(|reason| DecodeError::Envelope {
            id: id.clone(),
            reason,
        })?),
    };
    if let Some(found) = non_object_kind(detail) {
        return Err(DecodeError::DetailNotObject { id, found });
    }
    if !T::accepts(&source, &detail_type) {
        return Err(DecodeError::UnexpectedType {
            id,
            event_source: source,
            detail_type,
            expected: T::expected(),
        });
    }
    let detail = match T::decode(&source, &detail_type, detail) {
        Ok(detail) => detail,
        Err(error) => {
            return Err(DecodeError::Detail {
                id,
                detail_type,
                error,
            });
        }
    };
    Ok(Event {
        version: envelope.version.unwrap_or_else(|| "0".to_owned()),
        id: envelope.id,
        detail_type,
        source,
        account: envelope.account,
        time,
        region: envelope.region,
        replay_name: envelope.replay_name,
        resources: envelope.resources.unwrap_or_default(),
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

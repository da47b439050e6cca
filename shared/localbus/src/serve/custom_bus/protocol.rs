//! The Custom Event Bus's wire protocol, Smithy RPC v2 CBOR: every call is a
//! `POST /service/AWSEventsV2/operation/<Operation>` with a CBOR map as its body; an answer is a
//! CBOR map with the headers `smithy-protocol: rpc-v2-cbor` and `content-type: application/cbor`;
//! an error is an HTTP 4xx/5xx whose map holds `__type` (the error shape's name) and its
//! `Message` member (the shape's own spelling, read by the Rust SDK; `message` too, which
//! botocore reads first). Timestamps are CBOR tag 1 (epoch seconds). Signatures are accepted as
//! they come: serve is a local endpoint.

use ciborium::Value as Cbor;
use serde_json::{Map, Number, Value};

/// The path prefix of the Custom Event Bus's operations.
pub(crate) const PATH_PREFIX: &str = "/service/AWSEventsV2/operation/";

/// The `smithy-protocol` header's value.
pub(crate) const PROTOCOL: &str = "rpc-v2-cbor";

/// The content type of requests and answers.
pub(crate) const CONTENT_TYPE: &str = "application/cbor";

/// The operation a request path names, when the path is the Custom Event Bus's.
pub(crate) fn operation(path: &str) -> Option<&str> {
    path.strip_prefix(PATH_PREFIX)
}

/// An error answer: the error shape's name, its message and HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub(crate) struct CustomBusError {
    /// The error shape's name (`__type`), e.g. `InvalidInputException`.
    pub(crate) code: &'static str,
    /// The message.
    pub(crate) message: String,
    /// The HTTP status.
    pub(crate) status: u16,
}

impl CustomBusError {
    fn new(code: &'static str, status: u16, message: impl Into<String>) -> CustomBusError {
        CustomBusError {
            code,
            message: message.into(),
            status,
        }
    }

    /// A parameter is missing or not valid (`InvalidInputException`, 400 in the model).
    pub(crate) fn invalid_input(message: impl Into<String>) -> CustomBusError {
        CustomBusError::new("InvalidInputException", 400, message)
    }

    /// The named bus or subscriber does not exist (`ResourceNotFoundException`, 404 in the
    /// model).
    pub(crate) fn not_found(message: impl Into<String>) -> CustomBusError {
        CustomBusError::new("ResourceNotFoundException", 404, message)
    }

    /// The body is not a CBOR map of the operation's input (Smithy's `SerializationException`,
    /// 400).
    pub(crate) fn serialization(message: impl Into<String>) -> CustomBusError {
        CustomBusError::new("SerializationException", 400, message)
    }

    /// The path names no operation serve knows (Smithy's `UnknownOperationException`, 404).
    pub(crate) fn unknown_operation(message: impl Into<String>) -> CustomBusError {
        CustomBusError::new("UnknownOperationException", 404, message)
    }

    /// The bus could not keep the events (`InternalException`, 500).
    pub(crate) fn internal(message: impl Into<String>) -> CustomBusError {
        CustomBusError::new("InternalException", 500, message)
    }

    /// The answer's body.
    pub(crate) fn body(&self) -> Cbor {
        CborMap::new()
            .text("__type", self.code)
            .text("Message", &self.message)
            .text("message", &self.message)
            .build()
    }
}

/// A request body as JSON: a CBOR map (an empty body is `{}`), timestamps (tag 1) as RFC 3339
/// text, so the operations read it as the Classic API's JSON.
///
/// # Errors
/// `SerializationException` when the body is not a CBOR map of text keys, or holds a blob or a
/// value JSON cannot carry.
pub(crate) fn request(body: &[u8]) -> Result<Map<String, Value>, CustomBusError> {
    if body.is_empty() {
        return Ok(Map::new());
    }
    let value: Cbor = ciborium::from_reader(body).map_err(|error| {
        CustomBusError::serialization(format!("the request body is not CBOR: {error}"))
    })?;
    match to_json(value)? {
        Value::Object(map) => Ok(map),
        _ => Err(CustomBusError::serialization(
            "the request body must be a CBOR map",
        )),
    }
}

fn to_json(value: Cbor) -> Result<Value, CustomBusError> {
    Ok(match value {
        Cbor::Null => Value::Null,
        Cbor::Bool(flag) => Value::Bool(flag),
        Cbor::Text(text) => Value::String(text),
        Cbor::Integer(integer) => {
            let integer = i128::from(integer);
            if let Ok(small) = i64::try_from(integer) {
                Value::from(small)
            } else if let Ok(large) = u64::try_from(integer) {
                Value::from(large)
            } else {
                return Err(CustomBusError::serialization(format!(
                    "the integer {integer} is out of range"
                )));
            }
        }
        Cbor::Float(float) => Number::from_f64(float).map(Value::Number).ok_or_else(|| {
            CustomBusError::serialization(format!("the number {float} is not finite"))
        })?,
        Cbor::Tag(1, inner) => {
            let seconds = match *inner {
                Cbor::Integer(integer) => i128::from(integer) as f64,
                Cbor::Float(float) => float,
                _ => {
                    return Err(CustomBusError::serialization(
                        "a timestamp (tag 1) must hold a number",
                    ));
                }
            };
            // Whole milliseconds: the precision of the events' `time`.
            #[allow(clippy::cast_possible_truncation)]
            let millis = (seconds * 1000.0).round() as i64;
            let time = chrono::DateTime::from_timestamp_millis(millis).ok_or_else(|| {
                CustomBusError::serialization(format!("the timestamp {seconds} is out of range"))
            })?;
            Value::String(time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        }
        Cbor::Tag(_, inner) => to_json(*inner)?,
        Cbor::Array(items) => {
            Value::Array(items.into_iter().map(to_json).collect::<Result<_, _>>()?)
        }
        Cbor::Map(entries) => {
            let mut map = Map::new();
            for (key, value) in entries {
                let Cbor::Text(key) = key else {
                    return Err(CustomBusError::serialization("map keys must be text"));
                };
                map.insert(key, to_json(value)?);
            }
            Value::Object(map)
        }
        Cbor::Bytes(_) => {
            return Err(CustomBusError::serialization(
                "blobs are not taken by the operations localbus serves",
            ));
        }
        other => {
            return Err(CustomBusError::serialization(format!(
                "unexpected CBOR value {other:?}"
            )));
        }
    })
}

/// A body's bytes.
pub(crate) fn encode(value: &Cbor) -> Vec<u8> {
    let mut bytes = Vec::new();
    // Writing into a Vec cannot fail, and every value built here is serializable.
    if let Err(error) = ciborium::into_writer(value, &mut bytes) {
        bytes.clear();
        let fallback = CustomBusError::internal(format!("the answer cannot be encoded: {error}"));
        let _ = ciborium::into_writer(&fallback.body(), &mut bytes);
    }
    bytes
}

/// Builds a CBOR map (a structure of the answer), member after member; `None` members are
/// left out, as Smithy leaves out unset members.
#[derive(Debug, Default)]
pub(crate) struct CborMap(Vec<(Cbor, Cbor)>);

impl CborMap {
    /// An empty map.
    pub(crate) fn new() -> CborMap {
        CborMap::default()
    }

    /// A member of any value.
    pub(crate) fn value(mut self, key: &str, value: Cbor) -> CborMap {
        self.0.push((Cbor::Text(key.to_owned()), value));
        self
    }

    /// A text member.
    pub(crate) fn text(self, key: &str, value: &str) -> CborMap {
        self.value(key, Cbor::Text(value.to_owned()))
    }

    /// A text member, when there is a value.
    pub(crate) fn opt_text(self, key: &str, value: Option<&str>) -> CborMap {
        match value {
            Some(value) => self.text(key, value),
            None => self,
        }
    }

    /// An integer member.
    pub(crate) fn int(self, key: &str, value: u64) -> CborMap {
        self.value(key, Cbor::Integer(value.into()))
    }

    /// A timestamp member (tag 1, epoch seconds) from epoch milliseconds.
    pub(crate) fn time(self, key: &str, millis: i64) -> CborMap {
        self.value(key, timestamp(millis))
    }

    /// The map.
    pub(crate) fn build(self) -> Cbor {
        Cbor::Map(self.0)
    }
}

/// A timestamp (tag 1) from epoch milliseconds.
pub(crate) fn timestamp(millis: i64) -> Cbor {
    #[allow(clippy::cast_precision_loss)]
    let seconds = millis as f64 / 1000.0;
    Cbor::Tag(1, Box::new(Cbor::Float(seconds)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn cbor(value: &Cbor) -> Vec<u8> {
        encode(value)
    }

    #[test]
    fn operations_come_from_the_path() {
        assert_eq!(
            operation("/service/AWSEventsV2/operation/PutEvents"),
            Some("PutEvents")
        );
        assert_eq!(operation("/"), None);
        assert_eq!(operation("/service/AWSEvents/operation/PutEvents"), None);
    }

    #[test]
    fn requests_are_read_as_json_with_timestamps_as_rfc3339() {
        let body = CborMap::new()
            .text("EventBusArn", "arn:x")
            .value(
                "Entries",
                Cbor::Array(vec![
                    CborMap::new()
                        .text("Source", "shop")
                        .time("Time", 1_767_225_600_000)
                        .int("N", 7)
                        .build(),
                ]),
            )
            .build();
        let map = request(&cbor(&body)).unwrap();
        assert_eq!(
            Value::Object(map),
            json!({"EventBusArn": "arn:x", "Entries": [
                {"Source": "shop", "Time": "2026-01-01T00:00:00Z", "N": 7}]})
        );
        assert!(request(b"").unwrap().is_empty());
    }

    #[test]
    fn what_is_not_a_map_of_json_values_is_a_serialization_error() {
        for body in [
            cbor(&Cbor::Array(vec![])),
            cbor(&Cbor::Map(vec![(Cbor::Integer(1.into()), Cbor::Null)])),
            cbor(&CborMap::new().value("B", Cbor::Bytes(vec![1])).build()),
            vec![0xff, 0x00],
        ] {
            assert_eq!(
                request(&body).unwrap_err().code,
                "SerializationException",
                "{body:?}"
            );
        }
    }

    #[test]
    fn error_bodies_carry_the_shape_name_and_message() {
        let error = CustomBusError::not_found("no bus");
        assert_eq!(error.status, 404);
        let decoded: Cbor = ciborium::from_reader(&encode(&error.body())[..]).unwrap();
        let map = request(&encode(&decoded)).unwrap();
        assert_eq!(
            Value::Object(map),
            json!({"__type": "ResourceNotFoundException", "Message": "no bus", "message": "no bus"})
        );
    }
}

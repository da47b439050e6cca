//! EventBridge's wire protocol, AWS JSON 1.1: every call is a `POST /` whose `X-Amz-Target`
//! header names the operation (`AWSEvents.PutEvents`) and whose body is a JSON object; an
//! answer is a JSON object, an error `{"__type": "<code>", "message": "<text>"}` with an HTTP
//! status. Signatures (SigV4) are accepted as they come: serve is a local endpoint.

use serde_json::{Map, Value, json};

/// The `X-Amz-Target` prefix of EventBridge's operations.
pub(crate) const TARGET_PREFIX: &str = "AWSEvents.";

/// The content type of requests and answers.
pub(crate) const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// An error answer: AWS's error code, its message and HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub(crate) struct ApiError {
    /// AWS's error code (`__type`), e.g. `ValidationException`.
    pub(crate) code: &'static str,
    /// The message.
    pub(crate) message: String,
    /// The HTTP status.
    pub(crate) status: u16,
}

impl ApiError {
    fn new(code: &'static str, status: u16, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            status,
        }
    }

    /// A parameter is missing or out of range (400).
    pub(crate) fn validation(message: impl Into<String>) -> ApiError {
        ApiError::new("ValidationException", 400, message)
    }

    /// The named resource does not exist (400, as EventBridge answers it).
    pub(crate) fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new("ResourceNotFoundException", 400, message)
    }

    /// The resource exists already (400).
    pub(crate) fn already_exists(message: impl Into<String>) -> ApiError {
        ApiError::new("ResourceAlreadyExistsException", 400, message)
    }

    /// An event pattern is not valid (400).
    pub(crate) fn invalid_pattern(message: impl Into<String>) -> ApiError {
        ApiError::new("InvalidEventPatternException", 400, message)
    }

    /// The body is not the JSON the operation takes (400).
    pub(crate) fn serialization(message: impl Into<String>) -> ApiError {
        ApiError::new("SerializationException", 400, message)
    }

    /// The target names no operation serve knows (400).
    pub(crate) fn unknown_operation(message: impl Into<String>) -> ApiError {
        ApiError::new("UnknownOperationException", 400, message)
    }

    /// The answer's body.
    pub(crate) fn body(&self) -> Value {
        json!({ "__type": self.code, "message": self.message })
    }
}

/// The operation an `X-Amz-Target` header names.
///
/// # Errors
/// `UnknownOperationException` when the header is missing or not `AWSEvents.<Operation>`.
pub(crate) fn operation(target: Option<&str>) -> Result<&str, ApiError> {
    let target = target.ok_or_else(|| {
        ApiError::unknown_operation("missing X-Amz-Target header (AWSEvents.<Operation>)")
    })?;
    target
        .strip_prefix(TARGET_PREFIX)
        .filter(|op| !op.is_empty())
        .ok_or_else(|| ApiError::unknown_operation(format!("unknown target {target:?}")))
}

/// A request body: a JSON object (an empty body is `{}`).
///
/// # Errors
/// `SerializationException` when the body is not a JSON object.
pub(crate) fn request(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::serialization(
            "the request body must be a JSON object",
        )),
        Err(error) => Err(ApiError::serialization(format!(
            "the request body is not JSON: {error}"
        ))),
    }
}

/// A request's parameters, read with AWS's messages for what is missing or of the wrong type.
pub(crate) struct Params<'a>(pub(crate) &'a Map<String, Value>);

impl<'a> Params<'a> {
    /// An optional string parameter.
    ///
    /// # Errors
    /// `SerializationException` when it is present and not a string.
    pub(crate) fn string(&self, name: &str) -> Result<Option<&'a str>, ApiError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(ApiError::serialization(format!("{name} must be a string"))),
        }
    }

    /// A required string parameter.
    ///
    /// # Errors
    /// `ValidationException` when it is missing or empty, as EventBridge says it.
    pub(crate) fn required(&self, name: &str) -> Result<&'a str, ApiError> {
        self.string(name)?
            .filter(|text| !text.is_empty())
            .ok_or_else(|| ApiError::validation(format!("Parameter {name} is required.")))
    }

    /// An optional list parameter.
    ///
    /// # Errors
    /// `SerializationException` when it is present and not a list.
    pub(crate) fn list(&self, name: &str) -> Result<Option<&'a [Value]>, ApiError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => Ok(Some(items)),
            Some(_) => Err(ApiError::serialization(format!("{name} must be a list"))),
        }
    }
}

/// A bus named by name or ARN (`arn:aws:events:…:event-bus/<name>`): its name.
pub(crate) fn bus_name(name_or_arn: &str) -> &str {
    if name_or_arn.starts_with("arn:") {
        name_or_arn
            .split_once(":event-bus/")
            .map_or(name_or_arn, |(_, name)| name)
    } else {
        name_or_arn
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn operations_come_from_the_target_header() {
        assert_eq!(operation(Some("AWSEvents.PutEvents")).unwrap(), "PutEvents");
        assert_eq!(
            operation(None).unwrap_err().code,
            "UnknownOperationException"
        );
        assert_eq!(
            operation(Some("DynamoDB_20120810.PutItem"))
                .unwrap_err()
                .code,
            "UnknownOperationException"
        );
        assert_eq!(operation(Some("AWSEvents.")).unwrap_err().status, 400);
    }

    #[test]
    fn bodies_must_be_objects() {
        assert!(request(b"").unwrap().is_empty());
        assert_eq!(request(b"[1]").unwrap_err().code, "SerializationException");
        assert_eq!(request(b"{").unwrap_err().code, "SerializationException");
        let map = request(br#"{"Name":"orders","Limit":3}"#).unwrap();
        let params = Params(&map);
        assert_eq!(params.required("Name").unwrap(), "orders");
        assert_eq!(
            params.required("Missing").unwrap_err().message,
            "Parameter Missing is required."
        );
        assert_eq!(
            params.string("Limit").unwrap_err().code,
            "SerializationException"
        );
    }

    #[test]
    fn buses_by_name_or_arn() {
        assert_eq!(bus_name("orders-dev"), "orders-dev");
        assert_eq!(
            bus_name("arn:aws:events:us-east-1:123456789012:event-bus/orders-dev"),
            "orders-dev"
        );
        assert_eq!(
            bus_name("arn:aws:events:us-east-1:123456789012:event-bus/aws.partner/shop.example/a"),
            "aws.partner/shop.example/a"
        );
    }

    #[test]
    fn error_bodies_have_aws_shape() {
        let error = ApiError::not_found("Event bus x does not exist.");
        assert_eq!(
            error.body(),
            json!({"__type": "ResourceNotFoundException", "message": "Event bus x does not exist."})
        );
    }
}

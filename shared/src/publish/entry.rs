//! One event to publish and its size by AWS's formula.

use super::PublishError;
use crate::TypedDetail;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// An event to publish: source, detail-type, the detail as JSON text, resources and time.
///
/// ```
/// use eventbridge_lambda::publish::Entry;
/// use eventbridge_lambda::{InstanceState, InstanceStateChange};
/// let entry = Entry::new(&InstanceStateChange::new("i-1", InstanceState::Stopped)).unwrap();
/// assert_eq!(entry.source(), "aws.ec2");
/// assert_eq!(entry.detail(), r#"{"instance-id":"i-1","state":"stopped"}"#);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    source: String,
    detail_type: String,
    detail: String,
    resources: Vec<String>,
    time: Option<DateTime<Utc>>,
}

impl Entry {
    /// An entry for a typed detail: `source` and `detail-type` come from its type.
    ///
    /// # Errors
    /// [`PublishError::Serialize`] when the detail cannot be serialized, or
    /// [`PublishError::DetailNotObject`] when it does not serialize to a JSON object.
    pub fn new<T: TypedDetail + Serialize>(detail: &T) -> Result<Self, PublishError> {
        let detail = serde_json::to_string(detail).map_err(PublishError::Serialize)?;
        Self::raw(T::SOURCE, T::DETAIL_TYPE, detail)
    }

    /// An entry from its parts (for partner events, whose source is the partner event source).
    ///
    /// ```
    /// use eventbridge_lambda::publish::Entry;
    /// assert!(Entry::raw("com.example", "Ping", "[1]").is_err(), "detail must be an object");
    /// ```
    ///
    /// # Errors
    /// [`PublishError::DetailNotObject`] when `detail` is not a JSON object (EventBridge rejects it
    /// as `MalformedDetail`).
    pub fn raw(
        source: impl Into<String>,
        detail_type: impl Into<String>,
        detail: impl Into<String>,
    ) -> Result<Self, PublishError> {
        let detail = detail.into();
        match serde_json::from_str::<serde_json::Value>(&detail) {
            Ok(serde_json::Value::Object(_)) => {}
            _ => return Err(PublishError::DetailNotObject),
        }
        Ok(Self {
            source: source.into(),
            detail_type: detail_type.into(),
            detail,
            resources: Vec::new(),
            time: None,
        })
    }

    /// Sets the ARNs the event is about.
    pub fn with_resources(
        mut self,
        resources: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.resources = resources.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the event time (EventBridge uses the call time otherwise).
    pub fn with_time(mut self, time: DateTime<Utc>) -> Self {
        self.time = Some(time);
        self
    }

    /// The source.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The detail-type.
    pub fn detail_type(&self) -> &str {
        &self.detail_type
    }

    /// The detail as JSON text.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The resources.
    pub fn resources(&self) -> &[String] {
        &self.resources
    }

    /// The time, when set.
    pub fn time(&self) -> Option<DateTime<Utc>> {
        self.time
    }

    /// The entry's size by AWS's formula: 14 bytes for `Time` (counted always, since EventBridge
    /// stamps one anyway) plus the UTF-8 bytes of `Source`, `DetailType`, `Detail` and every
    /// resource.
    ///
    /// ```
    /// use eventbridge_lambda::publish::Entry;
    /// let entry = Entry::raw("src", "type", "{}").unwrap().with_resources(["arn:1"]);
    /// assert_eq!(entry.size(), 14 + 3 + 4 + 2 + 5);
    /// ```
    pub fn size(&self) -> usize {
        14 + self.source.len()
            + self.detail_type.len()
            + self.detail.len()
            + self.resources.iter().map(String::len).sum::<usize>()
    }
}

//! What a Custom Event Bus (the `eventbridgev2` API, "Custom Event Bus" as opposed to "Custom
//! Event Bus – Classic") adds to an event delivered to Lambda.
//!
//! A subscriber with `Transformer: WITH_METADATA` delivers each record as
//! `{"Data": …, "Metadata": {…}, "SystemMetadata": {…}}`: `Data` is the published data (for
//! PutEvents traffic, the Classic envelope the handler's [`Event<T>`](crate::Event) is decoded
//! from), `Metadata` the publisher's own keys (PutRawEvents only) and `SystemMetadata` what the bus
//! recorded. The dispatcher attaches both to the event; the handler reads them with
//! [`Event::custom_bus`](crate::Event::custom_bus). A `RAW` record carries neither, so
//! `custom_bus()` is `None` for it.
//!
//! AWS documents every system metadata value as a string, omits the keys that have no value and
//! always sends `aws:DeliveryType`. The sequence number stays a string (it can exceed 2^53, more
//! than a JSON number read as `f64` keeps exactly).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

/// The metadata of one record delivered by a Custom Event Bus subscriber with
/// `Transformer: WITH_METADATA`.
///
/// ```
/// use eventbridge_lambda::custom_bus::{CustomBusMetadata, DeliveryType};
/// let metadata: CustomBusMetadata = serde_json::from_str(r#"{
///     "Metadata": {"tenant": "acme"},
///     "SystemMetadata": {"aws:DeliveryType": "LIVE", "aws:EventId": "bus-1", "EventGroupId": "o-1"}
/// }"#).unwrap();
/// assert_eq!(metadata.system.event_group_id.as_deref(), Some("o-1"));
/// assert_eq!(metadata.system.delivery_type, Some(DeliveryType::Live));
/// assert_eq!(metadata.metadata["tenant"], "acme");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomBusMetadata {
    /// The publisher's `Metadata` keys (PutRawEvents only; empty otherwise).
    #[serde(rename = "Metadata", default, skip_serializing_if = "Map::is_empty")]
    pub metadata: Map<String, Value>,
    /// What the bus recorded about the event (`SystemMetadata`).
    #[serde(rename = "SystemMetadata", default)]
    pub system: SystemMetadata,
}

/// `SystemMetadata` of a Custom Event Bus record. Every value is a string, as AWS sends it; keys
/// the bus did not send are `None`, and keys this type does not name are kept in
/// [`other`](Self::other).
///
/// ```
/// use eventbridge_lambda::custom_bus::SystemMetadata;
/// let system: SystemMetadata = serde_json::from_str(r#"{
///     "aws:DeliveryType": "REPLAY", "aws:SequenceNumber": "10000000000000003000",
///     "aws:Future": "kept"}"#).unwrap();
/// assert!(system.is_replay());
/// assert_eq!(system.sequence_number.as_deref(), Some("10000000000000003000"));
/// assert_eq!(system.other["aws:Future"], "kept");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SystemMetadata {
    /// `aws:EventId`: the bus's id of the event (not `Data.id`); the de-duplication key.
    #[serde(
        rename = "aws:EventId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub event_id: Option<String>,
    /// `aws:SequenceNumber`, a decimal string (it can exceed 2^53).
    #[serde(
        rename = "aws:SequenceNumber",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub sequence_number: Option<String>,
    /// `EventGroupId`: the group within which a FIFO subscriber keeps publish order.
    #[serde(
        rename = "EventGroupId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub event_group_id: Option<String>,
    /// `DeduplicationId`: the publisher's de-duplication key, when it gave one.
    #[serde(
        rename = "DeduplicationId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub deduplication_id: Option<String>,
    /// `aws:DeliveryType`: `LIVE`, or `REPLAY` for a subscriber started at a point in time.
    #[serde(
        rename = "aws:DeliveryType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub delivery_type: Option<DeliveryType>,
    /// `aws:IngestionTime`, as sent (a timestamp string; its format is not documented).
    #[serde(
        rename = "aws:IngestionTime",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub ingestion_time: Option<String>,
    /// `ContentType` (`application/eventbridge+json` for PutEvents traffic).
    #[serde(
        rename = "ContentType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub content_type: Option<String>,
    /// `aws:Source`: the event's source (PutEvents traffic only).
    #[serde(
        rename = "aws:Source",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub source: Option<String>,
    /// `aws:DetailType`: the event's detail-type (PutEvents traffic only).
    #[serde(
        rename = "aws:DetailType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub detail_type: Option<String>,
    /// `aws:SchemaId`, when a schema registry is configured.
    #[serde(
        rename = "aws:SchemaId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub schema_id: Option<String>,
    /// `aws:RegistryType`, when a schema registry is configured.
    #[serde(
        rename = "aws:RegistryType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub registry_type: Option<String>,
    /// Every other key, as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl SystemMetadata {
    /// True for a `REPLAY` delivery (a subscriber started at a point in time re-reading
    /// retained events).
    ///
    /// ```
    /// use eventbridge_lambda::custom_bus::{DeliveryType, SystemMetadata};
    /// let mut system = SystemMetadata::default();
    /// assert!(!system.is_replay());
    /// system.delivery_type = Some(DeliveryType::Replay);
    /// assert!(system.is_replay());
    /// ```
    pub fn is_replay(&self) -> bool {
        self.delivery_type == Some(DeliveryType::Replay)
    }
}

/// `aws:DeliveryType`. A value AWS adds later is kept as [`Other`](Self::Other), not rejected.
///
/// ```
/// use eventbridge_lambda::custom_bus::DeliveryType;
/// assert_eq!(DeliveryType::from("LIVE"), DeliveryType::Live);
/// assert_eq!(DeliveryType::from("REDRIVE"), DeliveryType::Other("REDRIVE".into()));
/// assert_eq!(DeliveryType::Replay.as_str(), "REPLAY");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum DeliveryType {
    /// `LIVE`: delivered as it was published.
    Live,
    /// `REPLAY`: re-delivered from the bus's retention.
    Replay,
    /// Any other value, as sent.
    Other(String),
}

impl DeliveryType {
    /// The value as AWS writes it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Live => "LIVE",
            Self::Replay => "REPLAY",
            Self::Other(value) => value,
        }
    }
}

impl From<&str> for DeliveryType {
    fn from(value: &str) -> Self {
        match value {
            "LIVE" => Self::Live,
            "REPLAY" => Self::Replay,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for DeliveryType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for DeliveryType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for DeliveryType {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Ok(Self::from(value.as_ref()))
    }
}

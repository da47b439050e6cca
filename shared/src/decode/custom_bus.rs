//! The records of a Custom Event Bus (eventbridgev2) delivery, read with plain serde_json.
//!
//! A subscriber invokes the function with a JSON array of records, or with one record when its
//! `MaxBatchSize` is 1. A record is:
//!
//! * with `Transformer: WITH_METADATA`, an object `{"Data", "Metadata", "SystemMetadata"}`, where
//!   `Data` is the published data (the Classic envelope for PutEvents traffic). A record is read
//!   this way when it has both `Data` and `SystemMetadata` (AWS always sends `aws:DeliveryType`,
//!   so `SystemMetadata` is never absent);
//! * with `Transformer: RAW`, the published data itself: the Classic envelope.
//!
//! AWS's pages disagree on the shape: docs.aws.amazon.com's Lambda target page says a subscriber
//! with `MaxBatchSize` 1 sends one JSON object and any other size an array, the docs.amazonaws.cn
//! copy that it is always an array. This follows docs.aws.amazon.com and accepts both.

use super::{DecodeError, EventId, decode_str};
use crate::custom_bus::{CustomBusMetadata, SystemMetadata};
use crate::{Detail, Event};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// The event group a record belongs to, as far as the record says.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Group {
    /// `SystemMetadata.EventGroupId`.
    Named(String),
    /// The record has system metadata without `EventGroupId`: it was published outside any
    /// group, and no order binds it.
    Ungrouped,
    /// The record does not say (a `RAW` record, or unreadable metadata): it may belong to any
    /// group, so it is ordered after every earlier record whose group is not known either.
    Unknown,
}

/// One record, read: its bus event id and group (known even when the event does not decode,
/// so that a failure can be reported and can stop its group), and the event.
pub(crate) struct Record<'a, T> {
    /// The text the event was decoded from: `Data`, or the whole `RAW` record.
    pub(crate) data: &'a str,
    /// `SystemMetadata["aws:EventId"]`, the record's `itemIdentifier`.
    pub(crate) bus_event_id: Option<String>,
    /// The record's event group.
    pub(crate) group: Group,
    /// The decoded event, with its metadata attached.
    pub(crate) event: Result<Event<T>, DecodeError>,
}

/// The keys that tell a `WITH_METADATA` record from a `RAW` one, unparsed.
#[derive(Deserialize)]
struct Parts<'a> {
    #[serde(rename = "Data", borrow, default)]
    data: Option<&'a RawValue>,
    #[serde(rename = "Metadata", borrow, default)]
    metadata: Option<&'a RawValue>,
    #[serde(rename = "SystemMetadata", borrow, default)]
    system: Option<&'a RawValue>,
}

/// Reads the records of a Custom Event Bus array payload (not parsed further yet); a JSON error
/// when the array is not valid JSON.
pub(crate) fn read_array(text: &str) -> Result<Vec<&RawValue>, DecodeError> {
    serde_json::from_str(text).map_err(DecodeError::Json)
}

/// Decodes one record (`RAW` or `WITH_METADATA`).
pub(crate) fn decode_record<T: Detail>(text: &str) -> Record<'_, T> {
    let Some(Parts {
        data: Some(data),
        metadata,
        system: Some(system),
    }) = serde_json::from_str::<Parts<'_>>(text).ok()
    else {
        // RAW: the record is the published data. (Not an object at all: the envelope decoding
        // names that error.)
        return Record {
            data: text,
            bus_event_id: None,
            group: Group::Unknown,
            event: decode_str(text),
        };
    };
    let read = serde_json::from_str::<SystemMetadata>(system.get()).and_then(|system| {
        let metadata = match metadata {
            Some(metadata) if metadata.get() != "null" => {
                serde_json::from_str::<Map<String, Value>>(metadata.get())?
            }
            _ => Map::new(),
        };
        Ok(CustomBusMetadata { metadata, system })
    });
    match read {
        Ok(metadata) => Record {
            data: data.get(),
            bus_event_id: metadata.system.event_id.clone(),
            group: metadata
                .system
                .event_group_id
                .clone()
                .map_or(Group::Ungrouped, Group::Named),
            event: decode_str::<T>(data.get()).map(|event| event.with_custom_bus(metadata)),
        },
        Err(error) => {
            // Name the record and its group as far as the metadata can be read at all.
            let loose = serde_json::from_str::<Value>(system.get()).ok();
            let text_of = |key: &str| {
                loose
                    .as_ref()
                    .and_then(|value| value.get(key))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            let bus_event_id = text_of("aws:EventId");
            Record {
                data: data.get(),
                group: text_of("EventGroupId").map_or(Group::Unknown, Group::Named),
                event: Err(DecodeError::CustomBusMetadata {
                    id: EventId(bus_event_id.clone()),
                    error,
                }),
                bus_event_id,
            }
        }
    }
}

/// Whether a JSON object has the keys of a `WITH_METADATA` record.
pub(super) fn is_record_with_metadata(data: Option<&RawValue>, system: Option<&RawValue>) -> bool {
    data.is_some() && system.is_some()
}

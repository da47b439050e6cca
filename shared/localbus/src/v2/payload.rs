//! What a subscriber's target receives: each event shaped by the `Transformer`, the batch by
//! `BatchConfiguration`.
//!
//! * `RAW`: the published data alone (for PutEvents, the Classic envelope).
//! * `WITH_METADATA`: `{"Data", "SystemMetadata"}`, plus `"Metadata"` for PutRawEvents
//!   traffic only (the user guide: metadata exists only for PutRawEvents; localbus publishes
//!   PutEvents entries, so it is absent). Every system metadata value is a string.
//! * `JSONATA`: not emulated (no well-kept JSONata crate for Rust): the delivery is reported as
//!   not made, and the events stay on the bus.
//! * `MaxBatchSize: 1`: a single JSON object; any other size: a JSON array, even of one record
//!   (docs.aws.amazon.com's Lambda target page; a docs.amazonaws.cn copy says always an array).

use super::store::StoredEvent;
use sam_template::{Subscriber, Transformer};
use serde_json::{Map, Value};

/// `aws:DeliveryType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeliveryType {
    /// Published while the subscriber was running.
    Live,
    /// Delivered again from the bus's retention (a `POINT_IN_TIME` subscriber).
    Replay,
}

impl DeliveryType {
    /// As the system metadata spells it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DeliveryType::Live => "LIVE",
            DeliveryType::Replay => "REPLAY",
        }
    }
}

/// An event's `SystemMetadata` for one delivery.
pub(crate) fn system_metadata(event: &StoredEvent, delivery: DeliveryType) -> Value {
    let mut map: Map<String, Value> = event
        .system_metadata
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    map.insert(
        "aws:DeliveryType".to_owned(),
        Value::String(delivery.as_str().to_owned()),
    );
    Value::Object(map)
}

/// Why a payload cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "subscriber {subscriber}: Transformer JSONATA is not emulated by localbus ({expression}); the events were not delivered and stay on the bus"
)]
pub(crate) struct JsonataNotEmulated {
    /// The subscriber.
    pub(crate) subscriber: String,
    /// The expression.
    pub(crate) expression: String,
}

/// One event as the subscriber's transformer delivers it.
pub(crate) fn record(
    subscriber: &Subscriber,
    event: &StoredEvent,
    delivery: DeliveryType,
) -> Result<Value, JsonataNotEmulated> {
    match &subscriber.transformer {
        Transformer::Raw => Ok(event.data.clone()),
        Transformer::WithMetadata => {
            let mut map = Map::new();
            map.insert("Data".to_owned(), event.data.clone());
            map.insert(
                "SystemMetadata".to_owned(),
                system_metadata(event, delivery),
            );
            Ok(Value::Object(map))
        }
        Transformer::Jsonata { expression } => Err(JsonataNotEmulated {
            subscriber: subscriber.logical_id.clone(),
            expression: expression.clone(),
        }),
    }
}

/// The payload of one batch: the single record when `MaxBatchSize` is 1, else the array.
pub(crate) fn batch(subscriber: &Subscriber, mut records: Vec<Value>) -> Value {
    if subscriber.max_batch_size() == 1 && records.len() == 1 {
        records.pop().unwrap_or(Value::Null)
    } else {
        Value::Array(records)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn subscriber(extra: &str) -> Subscriber {
        super::super::test_subscriber(extra)
    }

    fn event() -> StoredEvent {
        StoredEvent {
            event_id: "bus-id".into(),
            sequence_number: "10000000000000000001".into(),
            ingested_at_ms: 0,
            data: json!({"id": "envelope-id", "source": "shop", "detail": {}}),
            system_metadata: BTreeMap::from([
                ("aws:EventId".to_owned(), "bus-id".to_owned()),
                (
                    "aws:SequenceNumber".to_owned(),
                    "10000000000000000001".to_owned(),
                ),
                ("EventGroupId".to_owned(), "o-1".to_owned()),
            ]),
            dedup_key: None,
        }
    }

    #[test]
    fn raw_is_the_data_and_with_metadata_wraps_it() {
        let raw = subscriber("");
        assert_eq!(
            record(&raw, &event(), DeliveryType::Live).unwrap(),
            event().data
        );
        let with = subscriber("      Transformer: {Type: WITH_METADATA}\n");
        let record = record(&with, &event(), DeliveryType::Replay).unwrap();
        assert_eq!(record["Data"], event().data);
        assert!(record.get("Metadata").is_none());
        assert_eq!(record["SystemMetadata"]["aws:DeliveryType"], "REPLAY");
        assert_eq!(
            record["SystemMetadata"]["aws:SequenceNumber"],
            "10000000000000000001"
        );
        assert_ne!(
            record["SystemMetadata"]["aws:EventId"],
            record["Data"]["id"]
        );
    }

    #[test]
    fn jsonata_is_reported_as_not_emulated() {
        let s = subscriber(
            "      Transformer:\n        Type: JSONATA\n        JsonataConfiguration: {Expression: '{% $events %}'}\n",
        );
        let error = record(&s, &event(), DeliveryType::Live).unwrap_err();
        assert!(error.to_string().contains("not emulated"), "{error}");
    }

    #[test]
    fn batch_size_one_is_an_object_else_an_array() {
        let one = subscriber("      BatchConfiguration: {MaxBatchSize: 1}\n");
        assert_eq!(batch(&one, vec![json!({"a": 1})]), json!({"a": 1}));
        let ten = subscriber("");
        assert_eq!(batch(&ten, vec![json!({"a": 1})]), json!([{"a": 1}]));
    }
}

//! Every file in `events/` decodes into its typed payload and round-trips to the same JSON.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use eventbridge_lambda::decode::decode_event;
use eventbridge_lambda::{CleanRoomsEvent, Detail, Event, InstanceStateChange, OrderCreated};
use serde::Serialize;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../events")
}

fn sample_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(events_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
}

/// Decodes `payload` as `Event<T>` and checks that serializing it gives back the same JSON.
fn round_trip<T: Detail + Serialize>(payload: &[u8], name: &str) -> Event<T> {
    let event = decode_event::<T>(payload).unwrap_or_else(|error| panic!("{name}: {error}"));
    let original: Value = serde_json::from_slice(payload).unwrap();
    let again = serde_json::to_value(&event).unwrap();
    assert_eq!(again, original, "{name} does not round-trip");
    event
}

/// Decodes one EventBridge event by its source; returns its detail-type.
fn check_event(payload: &[u8], name: &str) -> String {
    let raw: Event<Value> = decode_event(payload).unwrap_or_else(|error| panic!("{name}: {error}"));
    match raw.source.as_str() {
        "com.ecommerce.orders" => {
            let event = round_trip::<OrderCreated>(payload, name);
            assert!(!event.detail.items.is_empty(), "{name}: an order has items");
        }
        "aws.ec2" => {
            let event = round_trip::<InstanceStateChange>(payload, name);
            assert!(
                !matches!(
                    event.detail.state,
                    eventbridge_lambda::InstanceState::Unknown(_)
                ),
                "{name}: sample uses a known state"
            );
        }
        "aws.cleanrooms" => {
            let event = round_trip::<CleanRoomsEvent>(payload, name);
            assert!(
                !matches!(event.detail, CleanRoomsEvent::Unknown { .. }),
                "{name}: {} should be a modelled detail type",
                raw.detail_type
            );
            assert_eq!(event.detail.detail_type(), raw.detail_type);
        }
        // Events with no typed payload (e.g. samples that must reach no function) still have to
        // be valid envelopes that round-trip.
        _ => {
            round_trip::<Value>(payload, name);
        }
    }
    raw.detail_type
}

#[test]
fn every_sample_decodes_into_its_type_and_round_trips() {
    let mut checked = 0;
    for path in sample_files() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let payload = std::fs::read(&path).unwrap();
        let json: Value = serde_json::from_slice(&payload).unwrap();
        if let Some(records) = json.get("Records").and_then(Value::as_array) {
            assert!(!records.is_empty(), "{name}: empty batch");
            for record in records {
                let body = record["body"].as_str().expect("SQS body is a string");
                check_event(body.as_bytes(), &name);
                checked += 1;
            }
        } else {
            check_event(&payload, &name);
            checked += 1;
        }
    }
    assert!(checked >= 28, "only {checked} samples found");
}

#[test]
fn every_typed_detail_type_has_a_sample() {
    let mut seen = std::collections::BTreeSet::new();
    for path in sample_files() {
        let json: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        if json.get("Records").is_none() {
            let state = json["detail"]["state"].as_str().map(str::to_owned);
            seen.insert((json["detail-type"].as_str().unwrap().to_owned(), state));
        }
    }
    let detail_types: std::collections::BTreeSet<_> =
        seen.iter().map(|(dt, _)| dt.as_str()).collect();
    for expected in CleanRoomsEvent::DETAIL_TYPES {
        assert!(
            detail_types.contains(expected),
            "no sample for Clean Rooms {expected:?}"
        );
    }
    assert!(detail_types.contains("OrderCreated"));
    for state in [
        "pending",
        "running",
        "stopping",
        "stopped",
        "shutting-down",
        "terminated",
    ] {
        assert!(
            seen.contains(&(
                "EC2 Instance State-change Notification".to_owned(),
                Some(state.to_owned())
            )),
            "no EC2 sample for state {state}"
        );
    }
}

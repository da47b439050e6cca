//! The Custom Event Bus (eventbridgev2) delivery mode end to end: every sample of
//! `events/eventbridgev2/` decoded and dispatched, group order, a failure stopping its group only,
//! the default whole-invocation failure, the opt-in partial response, replays skipped by
//! de-duplication, bad records.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use eventbridge_lambda::custom_bus::{CustomBusMetadata, DeliveryType, SystemMetadata};
use eventbridge_lambda::decode::decode_custom_bus_record;
use eventbridge_lambda::dispatch::{FailedRecord, RecordFailure, Response};
use eventbridge_lambda::metrics::Metrics;
use eventbridge_lambda::{Context, DecodeError, Dispatcher, Event, EventError, OrderCreated};
use eventbridge_lambda_testing::JsonLines;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

fn samples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events/eventbridgev2")
}

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(samples_dir().join(name)).unwrap()
}

/// What the handler saw of one record.
#[derive(Clone, Debug, PartialEq)]
struct Seen {
    order_id: String,
    group: Option<String>,
    sequence_number: Option<String>,
    replay: bool,
}

type Log = Arc<Mutex<Vec<Seen>>>;

/// A handler logging what it sees, failing for order ids starting with `fail` while `failing`.
fn logging_handler(
    log: Log,
    failing: Arc<AtomicBool>,
) -> impl Fn(Event<OrderCreated>, Context) -> std::future::Ready<Result<String, String>> {
    move |event: Event<OrderCreated>, _ctx: Context| {
        let system = event.custom_bus().map(|metadata| &metadata.system);
        log.lock().unwrap().push(Seen {
            order_id: event.detail.order_id.clone(),
            group: system.and_then(|system| system.event_group_id.clone()),
            sequence_number: system.and_then(|system| system.sequence_number.clone()),
            replay: event.is_replay(),
        });
        let order_id = event.detail.order_id;
        std::future::ready(
            if order_id.starts_with("fail") && failing.load(Ordering::SeqCst) {
                Err(format!("cannot process {order_id}"))
            } else {
                Ok(format!("done {order_id}"))
            },
        )
    }
}

fn handled(log: &Log) -> Vec<String> {
    log.lock()
        .unwrap()
        .iter()
        .map(|seen| seen.order_id.clone())
        .collect()
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

fn item_failures(response: &Response) -> Vec<String> {
    match response {
        Response::CustomBus(batch) => batch
            .batch_item_failures
            .iter()
            .map(|failure| failure.item_identifier.clone())
            .collect(),
        other => panic!("expected a Custom Event Bus response, got {other:?}"),
    }
}

fn failed_records(error: &EventError) -> &[FailedRecord] {
    match error {
        EventError::CustomBusBatchFailed { failed, .. } => &failed.0,
        other => panic!("expected CustomBusBatchFailed, got {other:?}"),
    }
}

fn order_record(event_id: &str, order_id: &str, bus_event_id: &str, group: &str) -> Value {
    json!({
        "Data": {
            "version": "0", "id": event_id, "detail-type": "OrderCreated",
            "source": "com.ecommerce.orders", "account": "123456789012",
            "time": "2026-09-16T18:40:10Z", "region": "us-east-1", "resources": [],
            "detail": {"order_id": order_id, "customer_email": "customer@example.com",
                       "items": [{"sku": "ABC", "quantity": 2}], "timestamp": "2026-09-16T18:40:10Z"}
        },
        "Metadata": {},
        "SystemMetadata": {"aws:DeliveryType": "LIVE", "aws:EventId": bus_event_id, "EventGroupId": group}
    })
}

#[test]
fn every_sample_decodes_with_its_metadata() {
    let mut names: Vec<String> = std::fs::read_dir(samples_dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "raw-batch.json",
            "with-metadata-batch.json",
            "with-metadata-fail-batch.json",
            "with-metadata-replay.json",
            "with-metadata-single.json"
        ]
    );
    for name in &names {
        let json: Value = serde_json::from_slice(&sample(name)).unwrap();
        let records = match json {
            Value::Array(records) => records,
            record => vec![record],
        };
        assert!(!records.is_empty(), "{name}");
        for record in records {
            let text = serde_json::to_vec(&record).unwrap();
            let event = decode_custom_bus_record::<OrderCreated>(&text)
                .unwrap_or_else(|error| panic!("{name}: {error}"));
            let with_metadata = record.get("SystemMetadata").is_some();
            assert_eq!(event.custom_bus().is_some(), with_metadata, "{name}");
            let envelope = record.get("Data").unwrap_or(&record);
            assert_eq!(event.id.as_deref(), envelope["id"].as_str(), "{name}");
            if let Some(metadata) = event.custom_bus() {
                let system = &record["SystemMetadata"];
                assert_eq!(
                    metadata.system.event_id.as_deref(),
                    system["aws:EventId"].as_str()
                );
                assert_ne!(
                    metadata.system.event_id, event.id,
                    "bus id differs from Data.id"
                );
                assert_eq!(
                    metadata.system.sequence_number.as_deref(),
                    system["aws:SequenceNumber"].as_str(),
                    "the sequence number stays the exact string"
                );
                assert_eq!(
                    metadata.system.event_group_id.as_deref(),
                    system["EventGroupId"].as_str()
                );
                assert_eq!(
                    metadata
                        .system
                        .delivery_type
                        .as_ref()
                        .map(DeliveryType::as_str),
                    system["aws:DeliveryType"].as_str()
                );
                assert_eq!(
                    event.is_replay(),
                    system["aws:DeliveryType"] == "REPLAY",
                    "{name}"
                );
                assert_eq!(
                    metadata.system.content_type.as_deref(),
                    Some("application/eventbridge+json")
                );
                assert_eq!(
                    metadata.system.source.as_deref(),
                    Some(event.source.as_str())
                );
                assert_eq!(event.delivery_id(), metadata.system.event_id.as_deref());
            } else {
                assert_eq!(event.delivery_id(), event.id.as_deref());
            }
        }
    }
}

#[test]
fn raw_batch_handles_every_record_in_order() {
    let log = Log::default();
    let dispatcher = Dispatcher::new(logging_handler(log.clone(), Arc::default()));
    let response =
        block_on(dispatcher.invoke(&sample("raw-batch.json"), Context::default())).unwrap();
    assert_eq!(handled(&log), ["order-1001", "order-1002"]);
    assert!(log.lock().unwrap().iter().all(|seen| seen.group.is_none()));
    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        json!({"batchItemFailures": []})
    );
}

#[test]
fn a_single_raw_record_is_handled_as_a_direct_event() {
    let records: Vec<Value> = serde_json::from_slice(&sample("raw-batch.json")).unwrap();
    let single = serde_json::to_vec(&records[0]).unwrap();
    let log = Log::default();
    let dispatcher = Dispatcher::new(logging_handler(log.clone(), Arc::default()));
    let response = block_on(dispatcher.invoke(&single, Context::default())).unwrap();
    assert!(matches!(response, Response::Direct(_)));
    assert_eq!(serde_json::to_value(&response).unwrap(), "done order-1001");
    assert_eq!(handled(&log), ["order-1001"]);
}

#[test]
fn with_metadata_batch_is_handled_in_array_order_with_its_metadata() {
    let log = Log::default();
    let dispatcher = Dispatcher::new(logging_handler(log.clone(), Arc::default()));
    let response =
        block_on(dispatcher.invoke(&sample("with-metadata-batch.json"), Context::default()))
            .unwrap();
    assert!(item_failures(&response).is_empty());
    let seen = log.lock().unwrap().clone();
    let summary: Vec<(&str, Option<&str>, Option<&str>)> = seen
        .iter()
        .map(|seen| {
            (
                seen.order_id.as_str(),
                seen.group.as_deref(),
                seen.sequence_number.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "order-1001",
                Some("order-1001"),
                Some("10000000000000003000")
            ),
            (
                "order-1002",
                Some("order-1002"),
                Some("10000000000000003001")
            ),
            (
                "order-1001-update",
                Some("order-1001"),
                Some("10000000000000003002")
            ),
        ]
    );
    assert!(seen.iter().all(|seen| !seen.replay));
}

#[test]
fn a_single_record_with_metadata_is_a_batch_of_one() {
    let log = Log::default();
    let dispatcher = Dispatcher::new(logging_handler(log.clone(), Arc::default()));
    let response =
        block_on(dispatcher.invoke(&sample("with-metadata-single.json"), Context::default()))
            .unwrap();
    assert!(item_failures(&response).is_empty());
    assert_eq!(handled(&log), ["order-1001"]);
    assert_eq!(log.lock().unwrap()[0].group.as_deref(), Some("order-1001"));
}

#[test]
fn a_replayed_record_already_handled_is_skipped_as_a_duplicate() {
    let log = Log::default();
    let dispatcher = Dispatcher::new(logging_handler(log.clone(), Arc::default()));
    block_on(async {
        dispatcher
            .invoke(&sample("with-metadata-single.json"), Context::default())
            .await
            .unwrap();
        let replay = dispatcher
            .invoke(&sample("with-metadata-replay.json"), Context::default())
            .await
            .unwrap();
        assert!(item_failures(&replay).is_empty());
    });
    assert_eq!(
        handled(&log),
        ["order-1001"],
        "the replay was not handled again"
    );

    // A dispatcher that never saw it handles the replay, and the handler can tell.
    let fresh_log = Log::default();
    let fresh = Dispatcher::new(logging_handler(fresh_log.clone(), Arc::default()));
    block_on(fresh.invoke(&sample("with-metadata-replay.json"), Context::default())).unwrap();
    assert_eq!(handled(&fresh_log), ["order-1001"]);
    assert!(fresh_log.lock().unwrap()[0].replay);
}

#[test]
fn a_failure_stops_its_group_only_and_fails_the_invocation_by_default() {
    let log = Log::default();
    let failing = Arc::new(AtomicBool::new(true));
    let dispatcher = Dispatcher::new(logging_handler(log.clone(), failing.clone()));
    let batch = sample("with-metadata-fail-batch.json");
    let error = block_on(dispatcher.invoke(&batch, Context::default())).unwrap_err();
    // group-a: order-2001 handled, fail-2002 failed, order-2004 stopped; group-b goes on.
    assert_eq!(handled(&log), ["order-2001", "fail-2002", "order-2003"]);
    assert_eq!(error.error_type(), "CustomBusBatchFailed");
    let failed = failed_records(&error);
    assert_eq!(failed.len(), 2);
    assert_eq!(
        (failed[0].index, failed[0].bus_event_id.as_deref()),
        (1, Some("bus-fail-1"))
    );
    assert!(matches!(
        &failed[0].reason,
        RecordFailure::Failed(EventError::Handler { .. })
    ));
    assert_eq!(failed[0].event_group_id.as_deref(), Some("group-a"));
    assert_eq!(
        (failed[1].index, failed[1].bus_event_id.as_deref()),
        (3, Some("bus-stopped-1"))
    );
    assert!(matches!(failed[1].reason, RecordFailure::GroupStopped));
    let message = eventbridge_lambda::ErrorChain(&error).to_string();
    assert!(message.contains("2 of 4 records"), "{message}");
    assert!(message.contains("cannot process fail-2002"), "{message}");
    assert!(message.contains("bus-stopped-1"), "{message}");
    let diagnostic = lambda_runtime::Diagnostic::from(error);
    assert_eq!(diagnostic.error_type, "CustomBusBatchFailed");

    // EventBridge retries the batch: the handled records are skipped, the rest handled in order.
    failing.store(false, Ordering::SeqCst);
    log.lock().unwrap().clear();
    let response = block_on(dispatcher.invoke(&batch, Context::default())).unwrap();
    assert!(item_failures(&response).is_empty());
    assert_eq!(handled(&log), ["fail-2002", "order-2004"]);
}

#[test]
fn the_partial_response_names_the_failed_and_stopped_records_when_opted_in() {
    let log = Log::default();
    let dispatcher = Dispatcher::new(logging_handler(
        log.clone(),
        Arc::new(AtomicBool::new(true)),
    ))
    .with_custom_bus_partial_failures();
    let response =
        block_on(dispatcher.invoke(&sample("with-metadata-fail-batch.json"), Context::default()))
            .unwrap();
    assert_eq!(item_failures(&response), ["bus-fail-1", "bus-stopped-1"]);
    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        json!({"batchItemFailures": [{"itemIdentifier": "bus-fail-1"}, {"itemIdentifier": "bus-stopped-1"}]})
    );
    assert_eq!(handled(&log), ["order-2001", "fail-2002", "order-2003"]);
}

#[test]
fn a_batch_that_fails_whole_fails_the_invocation_in_both_settings() {
    let batch = serde_json::to_vec(&json!([
        order_record("e-1", "fail-1", "bus-1", "g-1"),
        order_record("e-2", "fail-2", "bus-2", "g-2"),
    ]))
    .unwrap();
    for partial in [false, true] {
        let log = Log::default();
        let mut dispatcher = Dispatcher::new(logging_handler(
            log.clone(),
            Arc::new(AtomicBool::new(true)),
        ));
        if partial {
            dispatcher = dispatcher.with_custom_bus_partial_failures();
        }
        let error = block_on(dispatcher.invoke(&batch, Context::default())).unwrap_err();
        assert_eq!(failed_records(&error).len(), 2, "partial: {partial}");
        assert_eq!(handled(&log), ["fail-1", "fail-2"], "other groups go on");
    }
}

#[test]
fn an_empty_array_is_a_typed_error_in_both_settings() {
    for partial in [false, true] {
        let mut dispatcher = Dispatcher::new(logging_handler(Log::default(), Arc::default()));
        if partial {
            dispatcher = dispatcher.with_custom_bus_partial_failures();
        }
        let error = block_on(dispatcher.invoke(b" [ ] ", Context::default())).unwrap_err();
        assert!(
            matches!(error, EventError::CustomBusEmptyBatch),
            "{error:?}"
        );
        assert_eq!(error.error_type(), "CustomBusEmptyBatch");
    }
}

/// Each failed record's position and the kind of its failure.
fn reasons(failed: &[FailedRecord]) -> Vec<(usize, &'static str)> {
    failed
        .iter()
        .map(|record| {
            let kind = match &record.reason {
                RecordFailure::Failed(EventError::Decode(DecodeError::Envelope { .. })) => {
                    "envelope"
                }
                RecordFailure::Failed(EventError::Decode(DecodeError::CustomBusMetadata {
                    ..
                })) => "metadata",
                RecordFailure::GroupStopped => "stopped",
                other => panic!("unexpected {other:?}"),
            };
            (record.index, kind)
        })
        .collect()
}

#[test]
fn bad_records_fail_with_typed_decode_errors_and_good_ones_are_handled() {
    let mut bad_metadata = order_record("e-3", "order-3", "bus-3", "g-3");
    bad_metadata["SystemMetadata"]["aws:SequenceNumber"] = json!(12);
    let mut not_an_envelope = order_record("e-4", "order-4", "bus-4", "g-4");
    not_an_envelope["Data"] = json!({"orderId": "12345"});
    let batch = serde_json::to_vec(&json!([
        order_record("e-1", "order-1", "bus-1", "g-1"),
        bad_metadata,
        not_an_envelope,
        order_record("e-5", "order-5", "bus-5", "g-3"),
    ]))
    .unwrap();
    let log = Log::default();
    let dispatcher = Dispatcher::new(logging_handler(log.clone(), Arc::default()));
    let error = block_on(dispatcher.invoke(&batch, Context::default())).unwrap_err();
    assert_eq!(handled(&log), ["order-1"]);
    // The record with unreadable metadata still names its group (g-3), which stops record 3.
    assert_eq!(
        reasons(failed_records(&error)),
        [(1, "metadata"), (2, "envelope"), (3, "stopped")]
    );
    assert_eq!(
        failed_records(&error)[0].bus_event_id.as_deref(),
        Some("bus-3")
    );

    // A record that is not an object does not say its group: it stops every later record.
    let batch =
        serde_json::to_vec(&json!([42, order_record("e-9", "order-9", "bus-9", "g-9")])).unwrap();
    let error = block_on(dispatcher.invoke(&batch, Context::default())).unwrap_err();
    assert_eq!(
        reasons(failed_records(&error)),
        [(0, "envelope"), (1, "stopped")]
    );

    // Not JSON at all: a decode error for the invocation.
    let error = block_on(dispatcher.invoke(b"[{\"Data\":", Context::default())).unwrap_err();
    assert!(
        matches!(error, EventError::Decode(DecodeError::Json(_))),
        "{error:?}"
    );
}

#[test]
fn in_a_raw_batch_a_failure_stops_every_later_record() {
    // RAW records do not say their group: any later record may be of the failed one's group.
    let record = |id: &str, order: &str| order_record(id, order, "-", "-")["Data"].clone();
    let batch =
        serde_json::to_vec(&json!([record("e-1", "fail-1"), record("e-2", "order-2")])).unwrap();
    let log = Log::default();
    let dispatcher = Dispatcher::new(logging_handler(
        log.clone(),
        Arc::new(AtomicBool::new(true)),
    ))
    .with_custom_bus_partial_failures();
    let error = block_on(dispatcher.invoke(&batch, Context::default())).unwrap_err();
    assert_eq!(handled(&log), ["fail-1"]);
    let failed = failed_records(&error);
    assert!(matches!(failed[1].reason, RecordFailure::GroupStopped));
    assert!(
        failed.iter().all(|record| record.bus_event_id.is_none()),
        "RAW records have no aws:EventId, so even the opt-in fails the invocation"
    );
}

#[test]
fn a_business_key_de_duplicates_records_with_different_bus_ids() {
    let batch = serde_json::to_vec(&json!([
        order_record("e-1", "order-1", "bus-1", "g-1"),
        order_record("e-2", "order-1", "bus-2", "g-1"),
    ]))
    .unwrap();
    let log = Log::default();
    let dispatcher = Dispatcher::new(logging_handler(log.clone(), Arc::default()))
        .with_key(|event| Some(event.detail.order_id.clone()));
    block_on(dispatcher.invoke(&batch, Context::default())).unwrap();
    assert_eq!(handled(&log), ["order-1"]);
}

#[test]
fn metrics_count_each_record_as_the_sqs_mode_does() {
    let buffer = JsonLines::default();
    let dispatcher = Dispatcher::new(logging_handler(
        Log::default(),
        Arc::new(AtomicBool::new(true)),
    ))
    .with_metrics(Some(Metrics::new("Shop", "orders", buffer.clone())));
    let batch = sample("with-metadata-fail-batch.json");
    block_on(async {
        let _ = dispatcher.invoke(&batch, Context::default()).await;
        let _ = dispatcher.invoke(&batch, Context::default()).await;
    });
    let lines = buffer.take();
    assert_eq!(lines.len(), 2);
    let counts = |line: &serde_json::Map<String, Value>| {
        (
            line["EventsHandled"].clone(),
            line["DuplicatesSkipped"].clone(),
            line["EventsFailed"].clone(),
            line.get("EventsFailed.String").cloned(),
        )
    };
    // The stopped record is not counted (as FIFO SQS records returned unprocessed are not).
    assert_eq!(
        counts(&lines[0]),
        (json!(2), json!(0), json!(1), Some(json!(1)))
    );
    assert_eq!(
        counts(&lines[1]),
        (json!(0), json!(2), json!(1), Some(json!(1)))
    );
}

#[test]
fn system_metadata_round_trips_with_unknown_keys_and_values() {
    let record: Value = serde_json::from_slice(&sample("with-metadata-single.json")).unwrap();
    let mut system = record["SystemMetadata"].clone();
    system["aws:DeliveryType"] = json!("REDRIVE");
    system["aws:Future"] = json!("kept");
    let typed: SystemMetadata = serde_json::from_value(system.clone()).unwrap();
    assert_eq!(
        typed.delivery_type,
        Some(DeliveryType::Other("REDRIVE".into()))
    );
    assert!(!typed.is_replay());
    assert_eq!(serde_json::to_value(&typed).unwrap(), system);

    let whole = json!({"Metadata": {"tenant": "acme"}, "SystemMetadata": record["SystemMetadata"]});
    let typed: CustomBusMetadata = serde_json::from_value(whole.clone()).unwrap();
    assert_eq!(serde_json::to_value(&typed).unwrap(), whole);
}

/// A `#[handler]` with the opt-in (its generated `main` is not this test's entry point).
#[allow(dead_code)]
mod generated {
    use eventbridge_lambda::{Event, OrderCreated, handler};

    #[handler(custom_bus_partial_failures)]
    pub async fn refuse_failing(event: Event<OrderCreated>) -> Result<(), String> {
        if event.detail.order_id.starts_with("fail") {
            return Err("refused".to_owned());
        }
        Ok(())
    }
}

#[test]
fn the_handler_attribute_opts_in_to_the_partial_response() {
    let dispatcher = generated::refuse_failing_dispatcher();
    let response =
        block_on(dispatcher.invoke(&sample("with-metadata-fail-batch.json"), Context::default()))
            .unwrap();
    assert_eq!(item_failures(&response), ["bus-fail-1", "bus-stopped-1"]);
}

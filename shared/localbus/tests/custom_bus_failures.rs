//! The Custom Event Bus end to end, when things go wrong or come again: retries and the
//! failure record in the on-failure queue (read back from moto with the SDK), a subscriber that
//! hands retries to Lambda, publish-time de-duplication, and a point-in-time subscriber
//! replaying the events the bus kept under `--state-dir`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod custom_bus_support;

use custom_bus_support::*;
use serde_json::{Value, json};

#[test]
fn a_batch_with_a_failing_record_is_retried_whole_then_recorded_with_all_its_events() {
    let state = state_dir("batchfail");
    let mut bad = order("v2-batchfail-2", "batch-f");
    let mut detail: Value = serde_json::from_str(bad["Detail"].as_str().unwrap()).unwrap();
    detail.as_object_mut().unwrap().remove("items");
    bad["Detail"] = detail.to_string().into();
    let (report, code) = send(
        FIXTURE,
        "v2batchfail",
        &state,
        &[
            order("v2-batchfail-1", "batch-f"),
            bad,
            order("v2-batchfail-3", "batch-f"),
        ],
    );
    assert_eq!(code, Some(1), "{report:#}");
    let batches = batches(&report, "BatchSubscriber");
    assert_eq!(batches.len(), 1, "{report:#}");
    let batch = batches[0];
    // The function fails the invocation (its default for a failed record); the subscriber
    // retries the whole batch once (MaxRetryAttempts 1), then records every event of it.
    assert_eq!(batch["Outcome"], "Failed", "{batch:#}");
    assert_eq!(batch["Attempts"], 2);
    assert_eq!(batch["ExhaustedRetryCondition"], "MaximumRetryAttempts");
    // The retry's first record had been handled: the function skipped it as a duplicate.
    assert!(
        batch["Logs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str().unwrap().contains("duplicate delivery skipped")),
        "{batch:#}"
    );
    // (InventorySubscriber, of every order, recorded the bad one too, in the same queue.)
    let records: Vec<Value> = queue_messages("v2batchfail-StreamFailureQueue")
        .into_iter()
        .filter(|r| {
            r["subscriberArn"]
                .as_str()
                .unwrap()
                .contains(":subscriber/batch/")
        })
        .collect();
    assert_eq!(records.len(), 1, "{records:#?}");
    let failed: Vec<&Value> = records[0]["failedMessages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["eventId"])
        .collect();
    let published: Vec<&Value> = report["Published"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["EventId"])
        .collect();
    assert_eq!(failed, published);
    assert_eq!(records[0]["retryAttempts"], 1);
}

#[test]
fn a_failing_batch_exhausts_the_retry_policy_and_its_record_lands_in_the_on_failure_queue() {
    let state = state_dir("fail");
    // An order without items: the inventory function rejects it on every attempt. A good
    // order of the same group follows it.
    let mut bad = order("v2-bad-1", "v2-group-f");
    let mut detail: Value = serde_json::from_str(bad["Detail"].as_str().unwrap()).unwrap();
    detail.as_object_mut().unwrap().remove("items");
    bad["Detail"] = detail.to_string().into();
    bad["SystemMetadata"]["DeduplicationId"] = "bad-1".into();
    let (report, code) = send(
        FIXTURE,
        "v2fail",
        &state,
        &[bad, order("v2-good-1", "v2-group-f")],
    );
    assert_eq!(code, Some(1), "{report:#}");
    let inventory = batches(&report, "InventorySubscriber");
    assert_eq!(inventory.len(), 2, "{report:#}");
    let failed = inventory[0];
    // One attempt and MaxRetryAttempts (2) retries.
    assert_eq!(failed["Outcome"], "Failed", "{failed:#}");
    assert_eq!(failed["Attempts"], 3);
    assert_eq!(failed["ExhaustedRetryCondition"], "MaximumRetryAttempts");
    assert_eq!(failed["SentTo"]["Queue"], "StreamFailureQueue");
    assert_eq!(failed["Response"]["errorType"], "EventDecodeError");
    // The later event of the group waited for it, then went through.
    assert_eq!(inventory[1]["Outcome"], "Succeeded", "{:#}", inventory[1]);
    assert_eq!(inventory[1]["Payload"]["detail"]["order_id"], "v2-good-1");

    let records = queue_messages("v2fail-StreamFailureQueue");
    assert_eq!(records.len(), 1, "{records:#?}");
    let record = &records[0];
    assert_eq!(record["version"], "1.0");
    assert_eq!(record["busArn"], report["BusArn"]);
    assert!(
        record["subscriberArn"]
            .as_str()
            .unwrap()
            .contains(":subscriber/inventory/")
    );
    assert_eq!(
        record["targetArn"],
        "arn:aws:lambda:us-east-1:123456789012:function:v2fail-InventoryFunction"
    );
    assert_eq!(record["exhaustedRetryCondition"], "MaximumRetryAttempts");
    assert_eq!(record["retryAttempts"], 2);
    assert!(
        record["errorMessage"]
            .as_str()
            .unwrap()
            .starts_with("EventDecodeError")
    );
    assert!(record.get("payload").is_none() && record.get("detail").is_none());
    let failed_messages = record["failedMessages"].as_array().unwrap();
    assert_eq!(failed_messages.len(), 1);
    let message = &failed_messages[0];
    assert_eq!(message["eventId"], report["Published"][0]["EventId"]);
    assert_eq!(message["eventGroupId"], "v2-group-f");
    assert_eq!(message["deduplicationId"], "bad-1");
    assert!(message["timestamp"].as_str().unwrap().ends_with('Z'));
    assert!(message["targetRequestId"].is_string(), "{message:#}");
}

#[test]
fn the_same_entry_published_twice_within_the_window_is_deduplicated() {
    let state = state_dir("dedup");
    let mut entry = order("v2-dedup-1", "v2-dedup-1");
    entry["SystemMetadata"]["DeduplicationId"] = "order-v2-dedup-1".into();
    // By DeduplicationId, in two calls; by content, in one CONTENT_BASED request.
    let content = order("v2-dedup-2", "v2-dedup-2");
    let request = json!({
        "Entries": [content, content],
        "DeduplicationConfiguration": {"DeduplicationType": "CONTENT_BASED"},
    });
    let (report, code) = send(FIXTURE, "v2dedup", &state, &[entry.clone(), entry, request]);
    assert_eq!(code, Some(0), "{report:#}");
    let codes: Vec<&str> = report["Published"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["SuccessCode"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        ["PUBLISHED", "DEDUPLICATED", "PUBLISHED", "DEDUPLICATED"]
    );
    let published = &report["Published"];
    assert_eq!(published[1]["EventId"], published[0]["EventId"]);
    // Each event was delivered once.
    let delivered: Vec<&Value> = batches(&report, "InventorySubscriber")
        .iter()
        .map(|b| &b["Events"][0]["EventId"])
        .collect();
    assert_eq!(
        delivered,
        [&published[0]["EventId"], &published[2]["EventId"]]
    );

    // Another run within the window: still a duplicate (the bus remembers it on disk).
    let mut again = order("v2-dedup-1", "v2-dedup-1");
    again["SystemMetadata"]["DeduplicationId"] = "order-v2-dedup-1".into();
    let (report, code) = send(FIXTURE, "v2dedup", &state, &[again]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["Published"][0]["SuccessCode"], "DEDUPLICATED");
    assert!(report["Deliveries"].as_array().unwrap().is_empty());
}

#[test]
fn a_point_in_time_subscriber_replays_the_retained_events_as_replay() {
    let state = state_dir("replay");
    let (first, code) = send(FIXTURE, "v2replay", &state, &[order("v2-replay-1", "g-r")]);
    assert_eq!(code, Some(0), "{first:#}");
    assert!(state.join("order-stream-test/events.jsonl").is_file());

    // Later, the stream has a subscriber starting at the earliest retained event.
    let (second, code) = send(
        REPLAY_FIXTURE,
        "v2replay",
        &state,
        &[order("v2-replay-2", "g-r")],
    );
    assert_eq!(code, Some(0), "{second:#}");
    let replayed = batches(&second, "ReplaySubscriber");
    assert_eq!(replayed.len(), 2, "{second:#}");
    assert_eq!(
        replayed[0]["Events"][0]["EventId"],
        first["Published"][0]["EventId"]
    );
    assert_eq!(replayed[0]["Events"][0]["DeliveryType"], "REPLAY");
    assert_eq!(replayed[0]["Payload"]["detail"]["order_id"], "v2-replay-1");
    assert_eq!(replayed[1]["Events"][0]["DeliveryType"], "LIVE");
    assert_eq!(replayed[1]["Payload"]["detail"]["order_id"], "v2-replay-2");
    // The replayed order was reserved by the first run already: the function's business key
    // recognises it.
    assert!(
        replayed[0]["Logs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str().unwrap().contains("duplicate delivery skipped")),
        "{:#}",
        replayed[0]
    );
}

#[test]
fn an_event_invocation_hands_the_retries_to_lambda() {
    let state = state_dir("async");
    let mut bad = order("v2-async-1", "g-async");
    bad["Detail"] = "{}".into();
    let (report, code) = send_to(
        "order-stream-async",
        "shared/localbus/tests/fixtures/order-stream-async.yaml",
        "v2async",
        &state,
        &[bad],
    );
    assert_eq!(code, Some(1), "{report:#}");
    let batch = batches(&report, "AsyncSubscriber")[0];
    // Lambda's asynchronous retries (EventInvokeConfig: 1), then its own failure record to the
    // function's destination; the bus counted the accepted Invoke as delivered.
    assert_eq!(batch["Attempts"], 2, "{batch:#}");
    assert_eq!(batch["Outcome"], "Failed");
    assert_eq!(batch["SentTo"]["Queue"], "AsyncFailureQueue");
    assert!(batch["FailureRecord"].is_null());
    let lambda_records = queue_messages("v2async-AsyncFailureQueue");
    assert_eq!(lambda_records.len(), 1, "{lambda_records:#?}");
    assert_eq!(
        lambda_records[0]["requestContext"]["condition"],
        "RetriesExhausted"
    );
    assert!(queue_messages("v2async-StreamFailureQueue").is_empty());
}

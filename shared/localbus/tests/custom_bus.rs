//! The Custom Event Bus (`AWS::EventsV2::*`) end to end: `localbus send --event-bus-name
//! <custom bus>` publishes PutEvents entries, keeps them under `--state-dir`, and delivers them
//! to the real inventory bootstrap (host build, under the Lambda Runtime Interface Emulator)
//! against moto, with the subscribers of tests/fixtures/order-stream*.yaml. Side effects and
//! failure records are read back from moto with the SDK.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{json, localbus, localbus_with_functions, root};
use eventbridge_lambda_testing::{MotoServer, get_item};
use serde_json::{Value, json};
use std::path::PathBuf;

const FIXTURE: &str = "shared/localbus/tests/fixtures/order-stream.yaml";
const REPLAY_FIXTURE: &str = "shared/localbus/tests/fixtures/order-stream-replay.yaml";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A fresh state directory for one test.
fn state_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("custom-bus-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A PutEvents entry of the sample OrderCreated with its own order id, in `group`.
fn order(order_id: &str, group: &str) -> Value {
    let sample: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("events/order-created.json")).unwrap(),
    )
    .unwrap();
    let mut detail = sample["detail"].clone();
    detail["order_id"] = order_id.into();
    json!({
        "Source": "com.ecommerce.orders",
        "DetailType": "OrderCreated",
        "Detail": detail.to_string(),
        "SystemMetadata": {"EventGroupId": group},
    })
}

/// `send` to the order stream of `template` with these `--event` values.
fn send(
    template: &str,
    stack: &str,
    state: &std::path::Path,
    events: &[Value],
) -> (Value, Option<i32>) {
    send_to("order-stream-test", template, stack, state, events)
}

/// `send` to the bus named `bus` of `template` with these `--event` values.
fn send_to(
    bus: &str,
    template: &str,
    stack: &str,
    state: &std::path::Path,
    events: &[Value],
) -> (Value, Option<i32>) {
    let moto = MotoServer::shared();
    let endpoint = moto.endpoint();
    let texts: Vec<String> = events.iter().map(Value::to_string).collect();
    let mut args = vec![
        "send",
        "--template",
        template,
        "--event-bus-name",
        bus,
        "--seed",
        "file://events/local/seed.json",
        "--endpoint-url",
        &endpoint,
        "--stack-name",
        stack,
        "--output",
        "json",
        "--state-dir",
        state.to_str().unwrap(),
    ];
    for text in &texts {
        args.extend(["--event", text.as_str()]);
    }
    let output = localbus_with_functions(&args);
    (json(&output), output.status.code())
}

/// The batches `subscriber` received.
fn batches<'a>(report: &'a Value, subscriber: &str) -> Vec<&'a Value> {
    report["Deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["Subscriber"] == subscriber)
        .collect()
}

/// Every message of a queue of the shared moto (received once, left in place).
fn queue_messages(queue: &str) -> Vec<Value> {
    let moto = MotoServer::shared();
    runtime().block_on(async {
        let sqs = aws_sdk_sqs::Client::new(&moto.sdk_config().await);
        let url = format!("{}/123456789012/{queue}", moto.endpoint());
        let output = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        output
            .messages
            .unwrap_or_default()
            .iter()
            .map(|m| serde_json::from_str(m.body.as_deref().unwrap()).unwrap())
            .collect()
    })
}

#[test]
fn orders_published_to_the_custom_bus_reach_the_function_in_order() {
    let state = state_dir("reach");
    let (report, code) = send(
        FIXTURE,
        "v2reach",
        &state,
        &[
            order("v2-order-1", "v2-order-1"),
            order("v2-order-2", "v2-order-2"),
        ],
    );
    assert_eq!(code, Some(0), "{report:#}");
    let published = report["Published"].as_array().unwrap();
    assert_eq!(published.len(), 2);
    assert!(published.iter().all(|p| p["SuccessCode"] == "PUBLISHED"));
    assert!(
        report["BusArn"]
            .as_str()
            .unwrap()
            .contains(":event-busv2/order-stream-test/")
    );

    let inventory = batches(&report, "InventorySubscriber");
    assert_eq!(inventory.len(), 2, "{report:#}");
    for (batch, (published, order_id)) in inventory
        .iter()
        .zip(published.iter().zip(["v2-order-1", "v2-order-2"]))
    {
        assert_eq!(batch["Outcome"], "Succeeded", "{batch:#}");
        assert_eq!(batch["Attempts"], 1);
        assert_eq!(batch["Events"][0]["EventId"], published["EventId"]);
        assert_eq!(batch["Events"][0]["EventGroupId"], order_id);
        assert_eq!(batch["Events"][0]["DeliveryType"], "LIVE");
        // MaxBatchSize 1, RAW: the Classic envelope itself, with an id of its own.
        assert_eq!(batch["Payload"]["detail"]["order_id"], order_id);
        assert_ne!(batch["Payload"]["id"], published["EventId"]);
        assert_eq!(batch["Response"]["status"], "RESERVED", "{batch:#}");
    }
    // Sequence numbers are strings past 2^53, increasing in publish order.
    let sequence = |p: &Value| {
        p["SequenceNumber"]
            .as_str()
            .unwrap()
            .parse::<u128>()
            .unwrap()
    };
    assert!(sequence(&published[0]) > 1 << 53);
    assert!(sequence(&published[1]) > sequence(&published[0]));

    // The side effect, in moto.
    runtime().block_on(async {
        let moto = MotoServer::shared();
        let dynamodb = aws_sdk_dynamodb::Client::new(&moto.sdk_config().await);
        for order_id in ["v2-order-1", "v2-order-2"] {
            let reservation =
                get_item(&dynamodb, "v2reach-ReservationsTable", "order_id", order_id)
                    .await
                    .unwrap()
                    .unwrap();
            assert_eq!(reservation["status"].as_s().unwrap(), "RESERVED");
        }
    });
}

#[test]
fn a_batch_of_with_metadata_records_reaches_the_function_in_one_invocation() {
    let state = state_dir("batch");
    let (report, code) = send(
        FIXTURE,
        "v2batch",
        &state,
        &[
            order("v2-batch-1", "batch-a"),
            order("v2-batch-2", "batch-b"),
            order("v2-batch-3", "batch-a"),
        ],
    );
    assert_eq!(code, Some(0), "{report:#}");
    let batches = batches(&report, "BatchSubscriber");
    assert_eq!(batches.len(), 1, "{report:#}");
    let batch = batches[0];
    assert_eq!(batch["Outcome"], "Succeeded", "{batch:#}");
    assert_eq!(batch["Attempts"], 1);
    // MaxBatchSize 10: an array, in publish order, each record {Data, SystemMetadata}.
    let records = batch["Payload"].as_array().unwrap();
    let orders: Vec<&str> = records
        .iter()
        .map(|r| r["Data"]["detail"]["order_id"].as_str().unwrap())
        .collect();
    assert_eq!(orders, ["v2-batch-1", "v2-batch-2", "v2-batch-3"]);
    for (record, published) in records.iter().zip(report["Published"].as_array().unwrap()) {
        let system = &record["SystemMetadata"];
        assert_eq!(system["aws:EventId"], published["EventId"]);
        assert_eq!(system["aws:SequenceNumber"], published["SequenceNumber"]);
        assert_eq!(system["aws:DeliveryType"], "LIVE");
        assert_eq!(system["EventGroupId"], published["EventGroupId"]);
    }
    // The framework's answer to a batch that fully succeeded.
    assert_eq!(batch["Response"], json!({"batchItemFailures": []}));
    runtime().block_on(async {
        let moto = MotoServer::shared();
        let dynamodb = aws_sdk_dynamodb::Client::new(&moto.sdk_config().await);
        for order_id in ["v2-batch-1", "v2-batch-2", "v2-batch-3"] {
            let reservation =
                get_item(&dynamodb, "v2batch-ReservationsTable", "order_id", order_id)
                    .await
                    .unwrap();
            assert!(reservation.is_some(), "{order_id} not reserved");
        }
    });
}

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
fn template_yaml_order_stream_delivers_a_batch_to_the_inventory_function() {
    let state = state_dir("template");
    let moto = MotoServer::shared();
    let endpoint = moto.endpoint();
    let entry = order("v2-template-1", "v2-template-1").to_string();
    let output = localbus_with_functions(&[
        "send",
        "--event-bus-name",
        "OrderStreamBus",
        "--event",
        &entry,
        "--seed",
        "file://events/local/seed.json",
        "--endpoint-url",
        &endpoint,
        "--stack-name",
        "v2template",
        "--output",
        "json",
        "--state-dir",
        state.to_str().unwrap(),
    ]);
    let report = json(&output);
    assert!(output.status.success(), "{report:#}");
    assert!(
        report["BusArn"]
            .as_str()
            .unwrap()
            .contains(":event-busv2/order-stream-dev/")
    );
    let batches = batches(&report, "OrderStreamInventorySubscriber");
    assert_eq!(batches.len(), 1, "{report:#}");
    let batch = batches[0];
    assert_eq!(batch["Function"], "InventoryFunction");
    assert_eq!(batch["Outcome"], "Succeeded", "{batch:#}");
    // MaxBatchSize 10 and WITH_METADATA: an array, even of one record.
    assert_eq!(batch["Payload"].as_array().unwrap().len(), 1);
    assert_eq!(
        batch["Payload"][0]["SystemMetadata"]["EventGroupId"],
        "v2-template-1"
    );
    runtime().block_on(async {
        let dynamodb = aws_sdk_dynamodb::Client::new(&moto.sdk_config().await);
        let reservation = get_item(
            &dynamodb,
            "v2template-ReservationsTable",
            "order_id",
            "v2-template-1",
        )
        .await
        .unwrap();
        assert!(reservation.is_some(), "not reserved");
    });
}

#[test]
fn a_system_metadata_filter_selects_by_event_group() {
    let state = state_dir("groups");
    let (report, code) = send(
        FIXTURE,
        "v2groups",
        &state,
        &[order("v2-std-1", "std-1"), order("v2-vip-1", "vip-1")],
    );
    assert_eq!(code, Some(0), "{report:#}");
    let vip = batches(&report, "VipSubscriber");
    assert_eq!(vip.len(), 1, "{report:#}");
    assert_eq!(vip[0]["Events"][0]["EventGroupId"], "vip-1");
    assert_eq!(vip[0]["Payload"]["detail"]["order_id"], "v2-vip-1");
    // The FIFO subscriber of every order got both.
    assert_eq!(batches(&report, "InventorySubscriber").len(), 2);
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
fn a_wildcard_filter_is_rejected_naming_the_subscriber() {
    let fixture = "shared/localbus/tests/fixtures/wildcard-subscriber.yaml";
    let output = localbus(&["routes", "--template", fixture]);
    assert_eq!(output.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("Starred") && stdout.contains("INVALID") && stdout.contains("wildcard"),
        "{stdout}"
    );
    let output = localbus(&[
        "route",
        "--template",
        fixture,
        "--event-bus-name",
        "wildcard-stream",
        "--event",
        r#"{"Source": "com.shop.orders", "DetailType": "OrderCreated", "Detail": "{}"}"#,
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("subscriber Starred") && stderr.contains("wildcard"),
        "{stderr}"
    );
}

#[test]
fn route_shows_the_order_stream_payload_of_template_yaml() {
    let output = localbus(&[
        "route",
        "--event-bus-name",
        "OrderStreamBus",
        "--event",
        "file://events/order-created.json",
    ]);
    assert!(output.status.success());
    let matches = json(&output)["Matches"].as_array().unwrap().clone();
    assert_eq!(matches.len(), 1, "{matches:#?}");
    let route = &matches[0];
    assert_eq!(route["Subscriber"], "OrderStreamInventorySubscriber");
    assert_eq!(route["Function"], "InventoryFunction");
    assert_eq!(route["Type"], "FIFO");
    // MaxBatchSize 10, WITH_METADATA: an array of {Data, SystemMetadata}.
    let record = &route["Input"][0];
    assert_eq!(record["Data"]["detail-type"], "OrderCreated");
    let system = &record["SystemMetadata"];
    assert_eq!(system["aws:DeliveryType"], "LIVE");
    assert_eq!(system["ContentType"], "application/eventbridge+json");
    assert_eq!(system["aws:Source"], "com.ecommerce.orders");
    assert!(system["aws:SequenceNumber"].is_string());
    assert_ne!(system["aws:EventId"], record["Data"]["id"]);
    // A Classic sample has no event group.
    assert!(system.get("EventGroupId").is_none());
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

//! The Custom Event Bus (`AWS::EventsV2::*`) end to end, delivery: `localbus send
//! --event-bus-name <custom bus>` publishes PutEvents entries and delivers them to the real
//! inventory bootstrap (host build, under the Lambda Runtime Interface Emulator) against moto,
//! with the subscribers of template.yaml and tests/fixtures/order-stream.yaml; `route` and
//! `routes` show the subscribers. Side effects are read back from moto with the SDK.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod custom_bus_support;

use common::{json, localbus, localbus_with_functions, runtime};
use custom_bus_support::*;
use eventbridge_lambda_testing::{get_item, shared_moto};
use serde_json::{Value, json};

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
        let moto = shared_moto();
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
        let moto = shared_moto();
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
fn template_yaml_order_stream_delivers_a_batch_to_the_inventory_function() {
    let state = state_dir("template");
    let moto = shared_moto();
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

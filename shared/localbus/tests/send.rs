//! `localbus send` and `localbus invoke` end to end: the real bootstraps, built for this machine
//! by `scripts/build-host-bootstraps.sh` into target/debug (and refused when older than their
//! sources), under the Lambda Runtime Interface Emulator,
//! against a moto server that `localbus` provisions from the template. Side effects are checked
//! in moto itself through the real SDK clients.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{
    functions_dir, json, localbus_with_functions as localbus, queue_messages, root, runtime,
};
use eventbridge_lambda_testing::{MotoServer, get_item, shared_moto};
use serde_json::Value;
use std::process::Command;

/// Messages moto's SES sent from `sender` whose subject contains `text`.
fn emails(moto: &MotoServer, sender: &str, text: &str) -> usize {
    moto.sent_emails()
        .unwrap()
        .iter()
        .filter(|m| m["source"] == sender)
        .filter(|m| m["subject"].as_str().is_some_and(|s| s.contains(text)))
        .count()
}

fn deliveries(report: &Value) -> Vec<&Value> {
    report["Events"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["Deliveries"].as_array().unwrap())
        .collect()
}

#[test]
fn an_order_reaches_every_function_and_a_duplicate_changes_nothing() {
    let moto = shared_moto();
    let endpoint = moto.endpoint();
    let order = "file://events/order-created.json";
    let output = localbus(&[
        "send",
        "--event",
        order,
        "--event",
        order,
        "--event-bus-name",
        "OrdersBus",
        "--seed",
        "file://events/local/seed.json",
        "--endpoint-url",
        &endpoint,
        "--stack-name",
        "e2e",
        "--output",
        "json",
    ]);
    let report = json(&output);
    assert!(output.status.success(), "{report:#}");

    // Both copies reached the four subscribers of OrdersBus, and every delivery succeeded at
    // the first attempt (the second copy from the dedup record of the first).
    let all = deliveries(&report);
    assert_eq!(all.len(), 8, "{report:#}");
    let mut functions: Vec<&str> = all
        .iter()
        .map(|d| d["Function"].as_str().unwrap())
        .collect();
    functions.sort_unstable();
    functions.dedup();
    assert_eq!(
        functions,
        [
            "EmailFunction",
            "InventoryFunction",
            "PartnerPublisherFunction",
            "ShippingFunction"
        ]
    );
    for delivery in &all {
        assert_eq!(delivery["Outcome"], "Succeeded", "{delivery:#}");
        assert_eq!(delivery["Attempts"], 1, "{delivery:#}");
        assert!(
            !delivery["Logs"].as_array().unwrap().is_empty(),
            "{delivery:#}"
        );
    }
    let shipping: Vec<_> = all
        .iter()
        .filter(|d| d["Function"] == "ShippingFunction")
        .collect();
    assert!(
        shipping
            .iter()
            .all(|d| d["Delivery"] == "sqs" && d["Queue"] == "ShippingQueue")
    );
    let partner: Vec<_> = all
        .iter()
        .filter(|d| d["Function"] == "PartnerPublisherFunction")
        .collect();
    assert!(
        partner
            .iter()
            .all(|d| d["Response"]["outcome"] == "no_store"),
        "{partner:#?}"
    );
    // Each function skipped the second copy as a duplicate: one such line among its logs (the
    // two shipping deliveries share their batch's invocation, hence its lines).
    for function in functions {
        let skipped: std::collections::BTreeSet<&str> = all
            .iter()
            .filter(|d| d["Function"] == function)
            .flat_map(|d| d["Logs"].as_array().unwrap())
            .map(|line| line.as_str().unwrap())
            .filter(|line| line.contains("duplicate delivery skipped"))
            .collect();
        assert_eq!(skipped.len(), 1, "{function}: {report:#}");
    }

    // The side effects, in moto, once.
    let order_id = "8d1f0c5e-3b0a-4d1e-9f57-2f1c3a7b9e10";
    assert_eq!(emails(moto, "orders@example.com", order_id), 1);
    runtime().block_on(async {
        let dynamodb = aws_sdk_dynamodb::Client::new(&moto.sdk_config().await);
        let stock = get_item(&dynamodb, "e2e-InventoryTable", "sku", "ABC")
            .await
            .unwrap()
            .unwrap();
        // Seeded with 100; the order takes 2, once.
        assert_eq!(stock["available"].as_n().unwrap(), "98");
        let reservation = get_item(&dynamodb, "e2e-ReservationsTable", "order_id", order_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(reservation["status"].as_s().unwrap(), "RESERVED");
        let shipment = get_item(&dynamodb, "e2e-ShipmentsTable", "order_id", order_id)
            .await
            .unwrap();
        assert!(shipment.is_some(), "no shipment recorded via the queue");
    });
}

#[test]
fn a_failing_function_is_retried_twice_then_its_event_is_in_the_on_failure_queue() {
    let moto = shared_moto();
    let endpoint = moto.endpoint();
    let output = localbus(&[
        "send",
        "--template",
        "shared/localbus/tests/fixtures/unverified-sender.yaml",
        "--event",
        "file://events/order-created.json",
        "--event-bus-name",
        "orders-unverified",
        "--endpoint-url",
        &endpoint,
        "--stack-name",
        "failing",
        "--output",
        "json",
    ]);
    let report = json(&output);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    let all = deliveries(&report);
    assert_eq!(all.len(), 1);
    let email = all[0];
    assert_eq!(email["Outcome"], "Failed", "{email:#}");
    assert_eq!(email["Attempts"], 3, "{email:#}");
    assert_eq!(email["SentTo"]["Queue"], "AsyncFailureQueue", "{email:#}");
    assert!(email["Response"]["errorType"].is_string(), "{email:#}");

    let records = queue_messages(moto, "failing-AsyncFailureQueue");
    assert_eq!(records.len(), 1, "{records:#?}");
    let record = &records[0];
    assert_eq!(record["requestContext"]["condition"], "RetriesExhausted");
    assert_eq!(record["requestContext"]["approximateInvokeCount"], 3);
    assert!(
        record["requestContext"]["functionArn"]
            .as_str()
            .unwrap()
            .ends_with(":function:failing-EmailFunction:$LATEST")
    );
    // The event localbus put, with the new id PutEvents gives every entry.
    assert_eq!(record["requestPayload"]["id"], report["Events"][0]["Id"]);
    assert_eq!(record["responseContext"]["functionError"], "Unhandled");
    assert_eq!(record["responsePayload"], email["Response"]);
    // SES rejected the unverified sender every time: nothing was sent.
    assert_eq!(emails(moto, "unverified@example.com", ""), 0);
}

#[test]
fn a_record_the_queue_consumer_keeps_failing_is_redriven_while_its_batch_mates_succeed() {
    let moto = shared_moto();
    let endpoint = moto.endpoint();
    // An OrderCreated whose detail lacks its items: every subscriber rejects it.
    let mut bad: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("events/order-created-full.json")).unwrap(),
    )
    .unwrap();
    bad["id"] = "bad-order-event".into();
    bad["detail"].as_object_mut().unwrap().remove("items");
    let bad = bad.to_string();
    let output = localbus(&[
        "send",
        "--event",
        "file://events/order-created-full.json",
        "--event",
        &bad,
        "--event-bus-name",
        "orders-staging",
        "--parameter-overrides",
        "Stage=staging",
        "--seed",
        "file://events/local/seed.json",
        "--endpoint-url",
        &endpoint,
        "--stack-name",
        "redrive",
        "--output",
        "json",
    ]);
    let report = json(&output);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    let shipping = |index: usize| -> Value {
        report["Events"][index]["Deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["Function"] == "ShippingFunction")
            .cloned()
            .unwrap()
    };
    let good = shipping(0);
    assert_eq!(good["Outcome"], "Succeeded", "{good:#}");
    assert_eq!(good["Attempts"], 1, "{good:#}");
    // The template's redrive policy: maxReceiveCount 5, then the dead-letter queue.
    let bad_delivery = shipping(1);
    assert_eq!(bad_delivery["Outcome"], "DeadLettered", "{bad_delivery:#}");
    assert_eq!(bad_delivery["Attempts"], 5, "{bad_delivery:#}");
    assert_eq!(bad_delivery["SentTo"]["Queue"], "ShippingDeadLetterQueue");
    let dead = queue_messages(moto, "shipping-notifications-dlq-staging");
    assert!(
        dead.iter().any(|m| m["id"] == report["Events"][1]["Id"]),
        "{dead:#?}"
    );
    // The Lambda targets failed it too: three attempts each, then the on-failure queue.
    for delivery in report["Events"][1]["Deliveries"].as_array().unwrap() {
        if delivery["Delivery"] == "lambda" {
            assert_eq!(delivery["Attempts"], 3, "{delivery:#}");
            assert_eq!(
                delivery["SentTo"]["Queue"], "AsyncFailureQueue",
                "{delivery:#}"
            );
        }
    }
}

#[test]
fn invoke_runs_one_function_like_sam_local_invoke() {
    let moto = shared_moto();
    let endpoint = moto.endpoint();
    let output = localbus(&[
        "invoke",
        "InventoryFunction",
        "--event",
        "file://events/order-created-full.json",
        "--seed",
        "file://events/local/seed.json",
        "--endpoint-url",
        &endpoint,
        "--stack-name",
        "invoke",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let response = json(&output);
    assert_eq!(response["status"], "RESERVED", "{response:#}\n{stderr}");
    assert!(stderr.contains("stock reserved"), "{stderr}");

    // A payload a typed handler cannot take: the function's error, exit 1.
    let output = localbus(&[
        "invoke",
        "InventoryFunction",
        "--event",
        r#"{"order_id": "no envelope"}"#,
        "--endpoint-url",
        &endpoint,
        "--stack-name",
        "invoke",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let error = json(&output);
    assert_eq!(error["errorType"], "EventDecodeError", "{error:#}");
    let message = error["errorMessage"].as_str().unwrap();
    assert!(
        message.contains("missing field")
            && message.contains("replace it with Input, InputPath or InputTransformer"),
        "{message}"
    );
}

#[test]
fn a_missing_bootstrap_or_bus_stops_the_run_before_anything_is_sent() {
    let output = Command::new(env!("CARGO_BIN_EXE_localbus"))
        .current_dir(root())
        .args([
            "send",
            "--event",
            "file://events/order-created.json",
            "--event-bus-name",
            "OrdersBus",
            "--endpoint-url",
            &shared_moto().endpoint(),
            "--functions-dir",
            "/nonexistent",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no bootstrap at /nonexistent/"), "{stderr}");

    let output = localbus(&[
        "send",
        "--event",
        "file://events/order-created.json",
        "--event-bus-name",
        "NoSuchBus",
        "--endpoint-url",
        &shared_moto().endpoint(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no event bus \"NoSuchBus\""));
}

#[test]
fn aws_mode_uses_the_ambient_aws_configuration_and_creates_nothing() {
    let moto = shared_moto();
    let endpoint = moto.endpoint();
    let common = [
        "send",
        "--event",
        "file://events/order-created.json",
        "--event-bus-name",
        "OrdersBus",
        "--parameter-overrides",
        "Stage=prod",
        "--stack-name",
        "ambient",
        "--output",
        "json",
    ];
    // A first run provisions the stack into moto and delivers the order.
    let mut first = common.to_vec();
    first.extend([
        "--endpoint-url",
        &endpoint,
        "--seed",
        "file://events/local/seed.json",
    ]);
    let output = localbus(&first);
    assert!(output.status.success(), "{:#}", json(&output));

    // `--aws` with the standard AWS settings pointing at that moto as "the account": localbus
    // creates nothing and starts no server, looks the queues up, and the functions use the same
    // settings; the durable dedup table makes the same event a duplicate everywhere.
    let mut second = common.to_vec();
    second.extend(["--aws", "--physical-id", "DedupTable=ambient-DedupTable"]);
    let output = Command::new(env!("CARGO_BIN_EXE_localbus"))
        .current_dir(root())
        .args(&second)
        .arg("--functions-dir")
        .arg(functions_dir())
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .output()
        .unwrap();
    let report = json(&output);
    assert!(output.status.success(), "{report:#}");
    assert_eq!(report["Endpoint"], "AWS (us-east-1)");
    let all = deliveries(&report);
    assert_eq!(all.len(), 4, "{report:#}");
    for delivery in all {
        assert_eq!(delivery["Outcome"], "Succeeded", "{delivery:#}");
        let logs = delivery["Logs"].as_array().unwrap();
        assert!(
            logs.iter()
                .any(|l| l.as_str().unwrap().contains("duplicate delivery skipped")),
            "{delivery:#}"
        );
    }
}

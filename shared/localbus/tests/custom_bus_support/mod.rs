//! What the Custom Event Bus tests share: the fixtures, PutEvents entries of the sample order,
//! running `localbus send` on a custom bus, and reading reports and queues back.
// Each test file uses the helpers it needs.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::{json, localbus_with_functions, root};
use eventbridge_lambda_testing::shared_moto;
use serde_json::{Value, json};
use std::path::PathBuf;

pub const FIXTURE: &str = "shared/localbus/tests/fixtures/order-stream.yaml";
pub const REPLAY_FIXTURE: &str = "shared/localbus/tests/fixtures/order-stream-replay.yaml";

/// A fresh state directory for one test.
pub fn state_dir(name: &str) -> PathBuf {
    crate::common::fresh_dir(&format!("custom-bus-{name}"))
}

/// A PutEvents entry of the sample OrderCreated with its own order id, in `group`.
pub fn order(order_id: &str, group: &str) -> Value {
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
pub fn send(
    template: &str,
    stack: &str,
    state: &std::path::Path,
    events: &[Value],
) -> (Value, Option<i32>) {
    send_to("order-stream-test", template, stack, state, events)
}

/// `send` to the bus named `bus` of `template` with these `--event` values.
pub fn send_to(
    bus: &str,
    template: &str,
    stack: &str,
    state: &std::path::Path,
    events: &[Value],
) -> (Value, Option<i32>) {
    let moto = shared_moto();
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
pub fn batches<'a>(report: &'a Value, subscriber: &str) -> Vec<&'a Value> {
    report["Deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["Subscriber"] == subscriber)
        .collect()
}

/// Every message of a queue of the shared moto (received once, left in place).
pub fn queue_messages(queue: &str) -> Vec<Value> {
    crate::common::queue_messages(shared_moto(), queue)
}

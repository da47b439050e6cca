//! What the tests of serve's Custom Event Bus API share: serve on a template with its own state
//! directory, the Rust SDK's `eventbridgev2` client and order entries, raw requests, and the
//! delivery lines (one per batch) read back.
// Each test uses the helpers it needs.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::serve::Serve;
use crate::common::{functions_dir, root, runtime};
use eventbridge_lambda_testing::MotoServer;
use serde_json::Value;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Duration;

/// A fresh state directory (the bus's retained events) for one test.
pub fn state_dir(name: &str) -> PathBuf {
    crate::common::fresh_dir(&format!("serve-custom-bus-{name}"))
}

/// serve on template.yaml against `moto`, keeping the Custom Event Bus's events in `state`.
pub fn serve(moto: &MotoServer, state: &std::path::Path) -> Serve {
    serve_template(moto, state, "template.yaml")
}

/// serve on `template` against `moto`, keeping the Custom Event Bus's events in `state`.
pub fn serve_template(moto: &MotoServer, state: &std::path::Path, template: &str) -> Serve {
    Serve::start(
        &functions_dir(),
        &[
            "--template",
            template,
            "--endpoint-url",
            &moto.endpoint(),
            "--seed",
            "file://events/local/seed.json",
            "--state-dir",
            state.to_str().unwrap(),
        ],
    )
}

/// An `eventbridgev2` client of the Rust SDK pointed at serve.
pub async fn sdk_client(moto: &MotoServer, serve: &Serve) -> aws_sdk_eventbridgev2::Client {
    let config = aws_sdk_eventbridgev2::config::Builder::from(&moto.sdk_config().await)
        .endpoint_url(&serve.endpoint)
        .build();
    aws_sdk_eventbridgev2::Client::from_conf(config)
}

/// A PutEvents entry of the sample OrderCreated with its own order id, which is also its event
/// group and de-duplication id.
pub fn order_entry(order_id: &str) -> aws_sdk_eventbridgev2::types::PutEventsRequestEntry {
    entry_of(order_detail(order_id), order_id)
}

/// The sample OrderCreated's detail with its own order id.
pub fn order_detail(order_id: &str) -> Value {
    let sample: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("events/order-created.json")).unwrap(),
    )
    .unwrap();
    let mut detail = sample["detail"].clone();
    detail["order_id"] = order_id.into();
    detail
}

/// A PutEvents entry of an OrderCreated `detail`, in event group and with de-duplication id
/// `order_id`.
pub fn entry_of(
    detail: Value,
    order_id: &str,
) -> aws_sdk_eventbridgev2::types::PutEventsRequestEntry {
    use aws_sdk_eventbridgev2::types::{PutEventsRequestEntry, PutEventsSystemMetadata};
    PutEventsRequestEntry::builder()
        .source("com.ecommerce.orders")
        .detail_type("OrderCreated")
        .detail(detail.to_string())
        .system_metadata(
            PutEventsSystemMetadata::builder()
                .event_group_id(order_id)
                .deduplication_id(order_id)
                .build(),
        )
        .build()
        .unwrap()
}

/// Puts one order on the bus `bus` (ARN or name) through the Rust SDK: its event id.
pub fn put_order(moto: &MotoServer, serve: &Serve, bus: &str, order_id: &str) -> String {
    put_entry(moto, serve, bus, order_entry(order_id))
}

/// Puts one entry on the bus `bus` (ARN or name) through the Rust SDK: its event id.
pub fn put_entry(
    moto: &MotoServer,
    serve: &Serve,
    bus: &str,
    entry: aws_sdk_eventbridgev2::types::PutEventsRequestEntry,
) -> String {
    runtime().block_on(async {
        let answer = sdk_client(moto, serve)
            .await
            .put_events()
            .event_bus_arn(bus)
            .entries(entry)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.failed_entry_count(), 0, "{answer:?}");
        answer.entries()[0].event_id().unwrap().to_owned()
    })
}

/// One raw POST to serve (HTTP/1.1, `Connection: close`): the status and the body, decoded
/// from CBOR.
pub fn raw_post(endpoint: &str, path: &str, body: &[u8]) -> (u16, Value, String) {
    let address = endpoint.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nsmithy-protocol: rpc-v2-cbor\r\ncontent-type: application/cbor\r\naccept: application/cbor\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(body).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&answer[..split]).to_lowercase();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let decoded: ciborium::Value = ciborium::from_reader(&answer[split + 4..]).unwrap();
    let mut json = serde_json::Map::new();
    for (key, value) in decoded.as_map().unwrap() {
        json.insert(
            key.as_text().unwrap().to_owned(),
            value.as_text().map_or(Value::Null, Value::from),
        );
    }
    (status, Value::Object(json), head)
}

/// The event ids of every delivery line, in the order they were delivered.
pub fn delivered_ids(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .flat_map(|line| line["EventIds"].as_array().unwrap())
        .map(|id| id.as_str().unwrap().to_owned())
        .collect()
}

/// Waits until the delivery lines (banner excluded) hold `count` events; then a moment more, to
/// see that no other delivery follows. The delivery lines.
pub fn batches_of(serve: &mut Serve, count: usize) -> Vec<Value> {
    batches_within(serve, count, Duration::from_secs(120))
}

/// [`batches_of`], waiting up to `limit`.
pub fn batches_within(serve: &mut Serve, count: usize, limit: Duration) -> Vec<Value> {
    let started = std::time::Instant::now();
    loop {
        let lines = serve.wait_lines(1, Duration::from_secs(5));
        let deliveries: Vec<Value> = lines.into_iter().skip(1).collect();
        if delivered_ids(&deliveries).len() >= count {
            std::thread::sleep(Duration::from_millis(700));
            let lines: Vec<Value> = serve
                .lines
                .lock()
                .unwrap()
                .iter()
                .skip(1)
                .cloned()
                .collect();
            assert_eq!(
                delivered_ids(&lines).len(),
                count,
                "more deliveries than expected: {lines:#?}"
            );
            return lines;
        }
        assert!(
            started.elapsed() < limit,
            "{} of {count} events delivered: {deliveries:#?}\nstderr: {}",
            delivered_ids(&deliveries).len(),
            serve.stderr()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

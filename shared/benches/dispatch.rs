//! Decode + dispatch cost per event, with the in-memory de-duplication check.
//!
//! * `direct/first_delivery`: one OrderCreated payload per invocation, each with a new id.
//!   Payloads have their fields in the order EventBridge delivers them (`detail` last).
//! * `direct/duplicate`: the same payload again (claim finds it completed; the handler is skipped).
//! * `sqs_batch_10/first_delivery`: SQS batches of 10 OrderCreated bodies, reported per event.
//! * `custom_bus_batch_10/first_delivery`: Custom Event Bus (eventbridgev2) deliveries of 10
//!   `WITH_METADATA` records (plain serde_json decoding), reported per event.
//!
//! Run: `cargo bench -p eventbridge-lambda --bench dispatch`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eventbridge_lambda::decode::decode_event;
use eventbridge_lambda::{Context, Dispatcher, Event, OrderCreated};
use serde::Serialize;
use serde_json::{Value, json};
use std::hint::black_box;

#[derive(Serialize)]
struct Reserved {
    units: u32,
}

async fn handler(
    event: Event<OrderCreated>,
    _ctx: Context,
) -> Result<Reserved, std::convert::Infallible> {
    Ok(Reserved {
        units: event.detail.items.iter().map(|item| item.quantity).sum(),
    })
}

/// An OrderCreated event (about 450 bytes) with its fields in the order EventBridge delivers them
/// (`detail` last). Built as text: `json!` would sort the keys.
fn order(id: usize) -> String {
    format!(
        r#"{{"version":"0","id":"6a7e8feb-b491-4cf7-a9f1-{id:012}","detail-type":"OrderCreated","source":"com.ecommerce.orders","account":"123456789012","time":"2023-10-27T10:00:00Z","region":"us-east-1","resources":[],"detail":{{"order_id":"8d1f0c5e-3b0a-4d1e-9f57-{id:012}","customer_email":"customer@example.com","items":[{{"sku":"ABC","quantity":2}},{{"sku":"XYZ","quantity":1}}],"timestamp":"2023-10-27T10:00:00Z"}}}}"#
    )
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    // More distinct payloads than the store's capacity (1024): every delivery is a first one.
    const DISTINCT: usize = 4096;
    let payloads: Vec<Vec<u8>> = (0..DISTINCT).map(|i| order(i).into_bytes()).collect();
    let context = Context::default();

    // Parts of the per-event cost, for reading the totals below.
    let mut group = c.benchmark_group("parts");
    group.throughput(Throughput::Elements(1));
    group.bench_function("decode_only", |b| {
        b.iter(|| black_box(decode_event::<OrderCreated>(black_box(&payloads[7])).unwrap()))
    });
    group.bench_function("block_on_empty_future", |b| {
        b.iter(|| runtime.block_on(async { black_box(1) }))
    });
    group.finish();

    let mut group = c.benchmark_group("direct");
    group.throughput(Throughput::Elements(1));
    let dispatcher = Dispatcher::new(handler);
    let mut next = 0;
    group.bench_function("first_delivery", |b| {
        b.iter(|| {
            next = (next + 1) % DISTINCT;
            let response =
                runtime.block_on(dispatcher.invoke(black_box(&payloads[next]), context.clone()));
            black_box(response.unwrap())
        })
    });
    let duplicate = &payloads[0];
    runtime
        .block_on(dispatcher.invoke(duplicate, context.clone()))
        .unwrap();
    group.bench_function("duplicate", |b| {
        b.iter(|| {
            black_box(
                runtime
                    .block_on(dispatcher.invoke(black_box(duplicate), context.clone()))
                    .unwrap(),
            )
        })
    });
    group.finish();

    let batches: Vec<Vec<u8>> = (0..DISTINCT / 10)
        .map(|batch| {
            let records: Vec<Value> = (0..10)
                .map(|i| {
                    json!({"messageId": format!("m-{batch}-{i}"), "receiptHandle": "AQEB", "body": order(batch * 10 + i),
                           "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                           "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:shipping-notifications-queue",
                           "awsRegion": "us-east-1"})
                })
                .collect();
            serde_json::to_vec(&json!({ "Records": records })).unwrap()
        })
        .collect();
    let mut group = c.benchmark_group("sqs_batch_10");
    group.throughput(Throughput::Elements(10));
    let dispatcher = Dispatcher::new(handler);
    let mut next = 0;
    group.bench_function("first_delivery", |b| {
        b.iter(|| {
            next = (next + 1) % batches.len();
            black_box(
                runtime
                    .block_on(dispatcher.invoke(black_box(&batches[next]), context.clone()))
                    .unwrap(),
            )
        })
    });
    group.finish();

    let deliveries: Vec<Vec<u8>> = (0..DISTINCT / 10)
        .map(|batch| {
            let records: Vec<String> = (0..10)
                .map(|i| {
                    let n = batch * 10 + i;
                    format!(
                        r#"{{"Data":{},"Metadata":{{}},"SystemMetadata":{{"aws:DeliveryType":"LIVE","aws:EventId":"bus-{n:012}","aws:SequenceNumber":"1000000000000{n:07}","aws:IngestionTime":"2026-09-16T18:40:12.345Z","ContentType":"application/eventbridge+json","aws:Source":"com.ecommerce.orders","aws:DetailType":"OrderCreated","EventGroupId":"group-{}"}}}}"#,
                        order(n),
                        n % 4
                    )
                })
                .collect();
            format!("[{}]", records.join(",")).into_bytes()
        })
        .collect();
    let mut group = c.benchmark_group("custom_bus_batch_10");
    group.throughput(Throughput::Elements(10));
    let dispatcher = Dispatcher::new(handler);
    let mut next = 0;
    group.bench_function("first_delivery", |b| {
        b.iter(|| {
            next = (next + 1) % deliveries.len();
            black_box(
                runtime
                    .block_on(dispatcher.invoke(black_box(&deliveries[next]), context.clone()))
                    .unwrap(),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

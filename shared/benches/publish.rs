//! Publish throughput against a local fault-free PutEvents server: 1,000 OrderCreated events per
//! iteration through the real aws-sdk-eventbridge client (HTTP on loopback, SigV4 signing, JSON
//! (de)serialization), with the number of calls per 1,000 events.
//!
//! Run: `cargo bench -p eventbridge-lambda --features publish --bench publish`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::config::{Credentials, Region};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eventbridge_lambda::OrderCreated;
use eventbridge_lambda::publish::{Entry, Publisher};
use eventbridge_lambda_testing::fault::{FaultServer, Response};
use serde_json::{Value, json};
use std::time::Duration;

fn bench(c: &mut Criterion) {
    let server = FaultServer::start(|request| {
        if request
            .header("x-amz-target")
            .is_some_and(|target| target.ends_with("DescribeEventBus"))
        {
            return Response::json(200, r#"{"Name":"orders"}"#);
        }
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let results: Vec<Value> = (0..body["Entries"].as_array().unwrap().len())
            .map(|i| json!({"EventId": format!("id-{i}")}))
            .collect();
        Response::json(
            200,
            json!({"FailedEntryCount": 0, "Entries": results}).to_string(),
        )
    })
    .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let publisher = runtime.block_on(async {
        let config = eventbridge_lambda::aws::config_loader()
            .endpoint_url(server.endpoint())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "bench"))
            .load()
            .await;
        Publisher::put_events(Client::new(&config), "orders")
            .await
            .unwrap()
    });
    let entries: Vec<Entry> = (0..1000)
        .map(|n| {
            let order: OrderCreated = serde_json::from_value(json!({
                "order_id": format!("o-{n}"), "customer_email": "customer@example.com",
                "items": [{"sku": "ABC", "quantity": 1}], "timestamp": "2026-11-20T10:00:00Z"
            }))
            .unwrap();
            Entry::new(&order).unwrap()
        })
        .collect();
    let report = runtime.block_on(publisher.publish(&entries)).unwrap();
    assert!(report.all_delivered());
    eprintln!("calls per 1,000 events: {}", report.calls);
    let mut group = c.benchmark_group("publish");
    group
        .throughput(Throughput::Elements(1000))
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("put_events_1000_fault_free", |b| {
        b.iter(|| {
            let report = runtime.block_on(publisher.publish(&entries)).unwrap();
            assert_eq!(report.calls, 100);
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

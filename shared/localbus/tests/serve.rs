//! `localbus serve` end to end, driven by real clients: boto3 (botocore is also the AWS CLI's
//! engine) for the producers, the Rust SDK inside the partner publisher for the partner chain.
//! Functions are the real host bootstraps under the Lambda Runtime Interface Emulator; side
//! effects are checked in moto through the real SDK clients. Each test starts its own serve
//! (with `--output json`: one JSON line per delivery) and its own moto.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

mod common;

use common::serve::Serve;
use common::{functions_dir, root, runtime};
use eventbridge_lambda_testing::{MotoServer, get_item};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::time::{Duration, Instant};

/// The delivery lines of each event id.
fn by_event(deliveries: &[Value]) -> BTreeMap<String, Vec<&Value>> {
    let mut events: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for delivery in deliveries {
        events
            .entry(delivery["EventId"].as_str().unwrap().to_owned())
            .or_default()
            .push(delivery);
    }
    events
}

fn ids(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn boto3_publishes_orders_and_every_side_effect_happens_once() {
    let moto = MotoServer::start().unwrap();
    let mut serve = Serve::start(
        &functions_dir(),
        &[
            "--endpoint-url",
            &moto.endpoint(),
            "--seed",
            "file://events/local/seed.json",
        ],
    );
    assert_eq!(serve.aws_endpoint, moto.endpoint());
    let answer = serve.python("producer.py", &[]);
    let (put, again) = (ids(&answer["put"]), ids(&answer["again"]));

    // Two orders, each put twice (new event ids): 4 events x 4 subscribers of orders-dev.
    let deliveries = serve.deliveries(16, Duration::from_secs(120));
    let events = by_event(&deliveries);
    assert_eq!(
        events.keys().cloned().collect::<BTreeSet<_>>(),
        put.iter().chain(&again).cloned().collect::<BTreeSet<_>>()
    );
    for (id, lines) in &events {
        let functions: BTreeSet<&str> = lines
            .iter()
            .map(|d| d["Function"].as_str().unwrap())
            .collect();
        assert_eq!(
            functions,
            BTreeSet::from([
                "EmailFunction",
                "InventoryFunction",
                "PartnerPublisherFunction",
                "ShippingFunction"
            ]),
            "{id}: {lines:#?}"
        );
        for line in lines {
            assert_eq!(line["Outcome"], "Succeeded", "{line:#}");
            assert_eq!(line["Bus"], "orders-dev");
        }
    }
    // The re-sent orders were caught by the business keys: each function skipped them as
    // duplicates (invoked functions only: the shipping batches share their invocation's lines).
    for id in &again {
        for line in &events[id] {
            if line["Function"] != "ShippingFunction" {
                assert!(
                    line["Logs"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|l| l.as_str().unwrap().contains("duplicate delivery skipped")),
                    "{line:#}"
                );
            }
        }
    }

    // The side effects, in moto, once per order.
    let orders = [
        "8d1f0c5e-3b0a-4d1e-9f57-2f1c3a7b9e10",
        "5b2e7c1a-9d4f-4e8b-a1c3-0f6d2e8b7a94",
    ];
    let emails = moto.sent_emails().unwrap();
    for order in orders {
        let sent = emails
            .iter()
            .filter(|m| m["subject"].as_str().is_some_and(|s| s.contains(order)))
            .count();
        assert_eq!(sent, 1, "{order}: {emails:#?}");
    }
    runtime().block_on(async {
        let dynamodb = aws_sdk_dynamodb::Client::new(&moto.sdk_config().await);
        let stock = get_item(&dynamodb, "localbus-InventoryTable", "sku", "ABC")
            .await
            .unwrap()
            .unwrap();
        // Seeded with 100: the first order takes 2, the second 1, once each.
        assert_eq!(stock["available"].as_n().unwrap(), "97");
        for order in orders {
            let shipment = get_item(&dynamodb, "localbus-ShipmentsTable", "order_id", order)
                .await
                .unwrap();
            assert!(
                shipment.is_some(),
                "{order}: no shipment recorded via the queue"
            );
        }
    });
    assert!(serve.stop().success(), "{}", serve.stderr());
}

#[test]
fn the_partner_chain_runs_order_to_partner_publisher_to_partner_bus_to_consumer() {
    let moto = MotoServer::start().unwrap();
    let mut serve = Serve::start(
        &functions_dir(),
        &[
            "--template",
            "examples/partner-consumer/template.yaml",
            "--endpoint-url",
            &moto.endpoint(),
            "--seed",
            "file://examples/partner-consumer/seed.json",
        ],
    );
    let order = std::fs::read_to_string(root().join("events/order-created-full.json")).unwrap();
    let order: Value = serde_json::from_str(&order).unwrap();
    let entry = serde_json::json!([{
        "Source": "com.ecommerce.orders",
        "DetailType": "OrderCreated",
        "Detail": order["detail"].to_string(),
        "EventBusName": "orders-partner-chain",
    }]);
    let put = serve.python("put_events.py", &[&entry.to_string()]);
    let deliveries = serve.deliveries(2, Duration::from_secs(60));
    let publisher = deliveries
        .iter()
        .find(|d| d["Function"] == "PartnerPublisherFunction")
        .unwrap();
    assert_eq!(
        publisher["EventId"], put["Entries"][0]["EventId"],
        "{deliveries:#?}"
    );
    assert_eq!(publisher["Outcome"], "Succeeded", "{publisher:#}");
    // The publisher's PutPartnerEvents (the Rust SDK, AWS_ENDPOINT_URL_EVENTBRIDGE) reached serve,
    // whose partner bus delivered the event to the consumer, without the e-mail address.
    let consumer = deliveries
        .iter()
        .find(|d| d["Function"] == "PartnerConsumerFunction")
        .unwrap();
    assert_eq!(consumer["Outcome"], "Succeeded", "{consumer:#}");
    assert_eq!(consumer["Bus"], "aws.partner/shop.example/store-eu-001");
    assert_eq!(consumer["Source"], "aws.partner/shop.example/store-eu-001");
    assert_eq!(
        consumer["Response"]["order_id"],
        "5b2e7c1a-9d4f-4e8b-a1c3-0f6d2e8b7a94"
    );
    assert_eq!(
        publisher["Response"]["source"], "aws.partner/shop.example/store-eu-001",
        "{publisher:#}"
    );
}

#[test]
fn a_partner_source_drops_events_while_pending_and_delivers_them_while_active() {
    let moto = MotoServer::start().unwrap();
    let mut serve = Serve::start(
        &functions_dir(),
        &[
            "--template",
            "shared/localbus/tests/fixtures/partner-lifecycle.yaml",
            "--endpoint-url",
            &moto.endpoint(),
        ],
    );
    let answer = serve.python("partner_lifecycle.py", &[]);
    let delivered = ids(&answer["delivered"]);
    let deliveries = serve.deliveries(2, Duration::from_secs(60));
    // Only the events put while the source was ACTIVE, in order; the function works through its
    // deliveries in order, so a dropped event delivered after all would show before the last.
    let seen: Vec<String> = deliveries
        .iter()
        .map(|d| d["EventId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(seen, delivered, "{deliveries:#?}");
    let orders: Vec<&str> = deliveries
        .iter()
        .map(|d| d["Response"]["order_id"].as_str().unwrap())
        .collect();
    assert_eq!(orders, ["active-1", "active-2"]);
}

#[test]
fn a_bootstrap_replaced_on_disk_is_used_from_the_next_delivery() {
    let built = functions_dir();
    let dir = std::env::temp_dir().join(format!("serve-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bootstrap = dir.join("partner-consumer");
    std::fs::copy(built.join("partner-consumer"), &bootstrap).unwrap();
    let moto = MotoServer::start().unwrap();
    let mut serve = Serve::start(
        &dir,
        &[
            "--template",
            "shared/localbus/tests/fixtures/partner-lifecycle.yaml",
            "--endpoint-url",
            &moto.endpoint(),
        ],
    );
    serve.python("partner_put.py", &["r-1", "--setup"]);
    let first = serve.deliveries(1, Duration::from_secs(60));
    assert_eq!(first[0]["Outcome"], "Succeeded", "{first:#?}");
    // Another build of the function, as `cargo build` writes it (a new file in its place): the
    // minimal example, whose handler takes only the shop's own OrderCreated.
    let next = dir.join("partner-consumer.new");
    std::fs::copy(built.join("example-minimal"), &next).unwrap();
    std::fs::rename(&next, &bootstrap).unwrap();
    serve.python("partner_put.py", &["r-2"]);
    let second = serve.deliveries(2, Duration::from_secs(60)).remove(1);
    assert_eq!(second["Outcome"], "Failed", "{second:#}");
    assert!(
        second["Response"]["errorMessage"]
            .as_str()
            .unwrap()
            .contains("OrderCreated"),
        "{second:#}"
    );
    drop(serve);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The processes descending from `pid` (children of each of its threads, recursively).
fn descendants(pid: u32) -> BTreeSet<u32> {
    let mut found = BTreeSet::new();
    let mut todo = vec![pid];
    while let Some(parent) = todo.pop() {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{parent}/task")) else {
            continue;
        };
        for task in tasks.flatten() {
            let children =
                std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
            for child in children.split_whitespace().filter_map(|c| c.parse().ok()) {
                if found.insert(child) {
                    todo.push(child);
                }
            }
        }
    }
    found
}

/// Whether `pid` runs (a zombie waiting for its reaper does not).
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z'))
    })
}

#[test]
fn stopping_serve_stops_its_moto_and_every_function() {
    // serve starts its own moto here.
    let mut serve = Serve::start(
        &functions_dir(),
        &["--seed", "file://events/local/seed.json"],
    );
    let order: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("events/order-created.json")).unwrap(),
    )
    .unwrap();
    let entry = serde_json::json!([{
        "Source": "com.ecommerce.orders",
        "DetailType": "OrderCreated",
        "Detail": order["detail"].to_string(),
        "EventBusName": "orders-dev",
    }]);
    serve.python("put_events.py", &[&entry.to_string()]);
    serve.deliveries(4, Duration::from_secs(60));
    let children = descendants(serve.child.id());
    // moto (and its watchdog), and an emulator and a bootstrap for each of the four functions.
    assert!(children.len() >= 9, "{children:?}");
    assert!(serve.stop().success(), "{}", serve.stderr());
    let started = Instant::now();
    while children.iter().any(|pid| running(*pid)) && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let left: Vec<u32> = children.into_iter().filter(|pid| running(*pid)).collect();
    assert!(
        left.is_empty(),
        "still running after serve stopped: {left:?}"
    );
}

#[test]
fn load_of_a_thousand_orders_every_side_effect_once_nothing_pending() {
    const ORDERS: usize = 1000;
    let moto = MotoServer::start().unwrap();
    let seed = std::env::temp_dir().join(format!("serve-load-seed-{}.json", std::process::id()));
    std::fs::write(
        &seed,
        r#"{"InventoryTable": [{"sku": "LOAD", "available": 100000}]}"#,
    )
    .unwrap();
    let seed_arg = format!("file://{}", seed.display());
    let mut serve = Serve::start(
        &functions_dir(),
        &["--endpoint-url", &moto.endpoint(), "--seed", &seed_arg],
    );
    let started = Instant::now();
    let answer = serve.python("load.py", &[&ORDERS.to_string()]);
    let deliveries = serve.deliveries(4 * ORDERS, Duration::from_secs(900));
    let drained = started.elapsed();
    let _ = std::fs::remove_file(&seed);
    let events = by_event(&deliveries);
    assert_eq!(events.len(), ORDERS);
    let mut latencies = Vec::with_capacity(ORDERS);
    for pair in answer["orders"].as_array().unwrap() {
        let lines = &events[pair[0].as_str().unwrap()];
        assert_eq!(lines.len(), 4, "{lines:#?}");
        assert!(
            lines.iter().all(|d| d["Outcome"] == "Succeeded"),
            "{lines:#?}"
        );
        latencies.push(
            lines
                .iter()
                .map(|d| d["PutToDoneMs"].as_f64().unwrap())
                .fold(0.0, f64::max),
        );
    }
    latencies.sort_by(f64::total_cmp);
    let percentile = |p: usize| latencies[(latencies.len() * p / 100).min(latencies.len() - 1)];
    // Recorded in docs/benchmarks.md ("localbus serve under load"); not asserted.
    println!(
        "serve load: {ORDERS} orders, PutEvents accepted {:.0} events/s ({:.2} s of puts); put to last side effect p50 {:.0} ms, p99 {:.0} ms; all {} deliveries done {:.1} s after the first put",
        answer["per_second"].as_f64().unwrap(),
        answer["seconds"].as_f64().unwrap(),
        percentile(50),
        percentile(99),
        deliveries.len(),
        drained.as_secs_f64()
    );
    // moto's data of 1,000 e-mails is larger than its Rust reader takes: counted by Python.
    let emails = Command::new(root().join(".venv/bin/python"))
        .arg(root().join("shared/localbus/tests/producers/ses_sent.py"))
        .args([moto.endpoint().as_str(), "load-"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&emails.stdout).trim(),
        ORDERS.to_string(),
        "{emails:?}"
    );
    common::assert_load_orders_stored(
        &moto,
        ORDERS,
        &["localbus-ReservationsTable", "localbus-ShipmentsTable"],
    );
}

//! `localbus send` gives every put a new event id, as PutEvents does, so a file sent twice is two
//! events that only a business key recognises as one; `--keep-ids` replays the same event. Runs
//! the real bootstraps (built for this machine by `scripts/build-host-bootstraps.sh`, refused
//! when older than their sources) under the Lambda Runtime Interface Emulator against moto.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{functions_dir, root};
use eventbridge_lambda_testing::{get_item, shared_moto};
use serde_json::Value;
use std::collections::BTreeSet;
use std::process::{Command, Output};

const ORDER: &str = "file://events/order-created.json";
const FILE_ID: &str = "f6fadfa7-e5c1-4b62-9362-da5cc13da58a";
const ORDER_ID: &str = "8d1f0c5e-3b0a-4d1e-9f57-2f1c3a7b9e10";

/// `localbus send` of the sample order twice on OrdersBus into the shared moto, as `stack` of
/// `stage`; the JSON report. The tests run in parallel, so each takes its own stage: the queues
/// are named by stage, not by stack.
fn send_twice(stack: &str, stage: &str, extra: &[&str]) -> Value {
    let output: Output = Command::new(env!("CARGO_BIN_EXE_localbus"))
        .current_dir(root())
        .args(["send", "--event", ORDER, "--event", ORDER])
        .args(["--event-bus-name", "OrdersBus"])
        .args(["--seed", "file://events/local/seed.json"])
        .args(["--endpoint-url", &shared_moto().endpoint()])
        .args(["--stack-name", stack, "--output", "json"])
        .args(["--parameter-overrides", &format!("Stage={stage}")])
        .args(extra)
        .arg("--functions-dir")
        .arg(functions_dir())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert!(output.status.success(), "{report:#}");
    report
}

/// The event id of each put, and the id every delivery of it carried into its function.
fn ids(report: &Value) -> Vec<String> {
    report["Events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| {
            let id = event["Id"].as_str().unwrap().to_owned();
            let deliveries = event["Deliveries"].as_array().unwrap();
            assert_eq!(deliveries.len(), 4, "{event:#}");
            for delivery in deliveries {
                assert_eq!(delivery["Input"]["id"], id.as_str(), "{delivery:#}");
            }
            id
        })
        .collect()
}

/// The functions whose delivery of the `index`th event logged a skipped duplicate.
fn skipped(report: &Value, index: usize) -> BTreeSet<String> {
    report["Events"][index]["Deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| {
            d["Logs"].as_array().unwrap().iter().any(|line| {
                line.as_str()
                    .unwrap()
                    .contains("duplicate delivery skipped")
            })
        })
        .map(|d| d["Function"].as_str().unwrap().to_owned())
        .collect()
}

fn available_stock(stack: &str) -> String {
    let moto = shared_moto();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let dynamodb = aws_sdk_dynamodb::Client::new(&moto.sdk_config().await);
            let table = format!("{stack}-InventoryTable");
            let stock = get_item(&dynamodb, &table, "sku", "ABC")
                .await
                .unwrap()
                .unwrap();
            assert!(
                get_item(
                    &dynamodb,
                    &format!("{stack}-ReservationsTable"),
                    "order_id",
                    ORDER_ID
                )
                .await
                .unwrap()
                .is_some()
            );
            stock["available"].as_n().unwrap().to_owned()
        })
}

#[test]
fn a_file_sent_twice_is_two_events_and_the_order_id_still_catches_the_second() {
    let report = send_twice("new-ids", "dev", &[]);
    let ids = ids(&report);
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1], "{report:#}");
    assert!(!ids.contains(&FILE_ID.to_owned()), "{report:#}");

    // Every function de-duplicates on order_id: none skipped the first event, all four the
    // second, although its id is new. (ShippingFunction's two messages share one batch, whose
    // logs both deliveries report, so its skip shows on the first event too.)
    let all: BTreeSet<String> = [
        "EmailFunction",
        "InventoryFunction",
        "PartnerPublisherFunction",
        "ShippingFunction",
    ]
    .map(str::to_owned)
    .into();
    assert_eq!(skipped(&report, 1), all, "{report:#}");
    assert!(
        skipped(&report, 0).iter().all(|f| f == "ShippingFunction"),
        "{report:#}"
    );
    // The order's 2 units were taken from the seeded 100 once.
    assert_eq!(available_stock("new-ids"), "98");
}

#[test]
fn keep_ids_replays_the_same_event() {
    let report = send_twice("kept-ids", "prod", &["--keep-ids"]);
    assert_eq!(ids(&report), [FILE_ID, FILE_ID], "{report:#}");
    assert_eq!(available_stock("kept-ids"), "98");
}

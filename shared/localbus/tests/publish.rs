//! `localbus publish` against moto server: the built binary, a real endpoint.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use eventbridge_lambda_testing::MotoServer;
use std::process::Command;

fn localbus(moto: &MotoServer, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_localbus"))
        .arg("publish")
        .args(args)
        .args(["--endpoint-url", &moto.endpoint()])
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap()
}

fn sample(name: &str) -> String {
    format!("file://{}/../../events/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn publishes_sample_orders_to_the_default_bus() {
    let moto = MotoServer::start().unwrap();
    let output = localbus(
        &moto,
        &[
            "--event-bus-name",
            "default",
            "--order",
            &sample("order-created.json"),
            "--order",
            &sample("order-created-full.json"),
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["FailedEntryCount"], 0);
    let entries = report["Entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert!(
        entries
            .iter()
            .all(|entry| entry["EventId"].as_str().is_some_and(|id| !id.is_empty()))
    );
}

#[test]
fn a_missing_bus_and_a_non_order_are_refused_before_sending() {
    let moto = MotoServer::start().unwrap();
    let output = localbus(
        &moto,
        &[
            "--event-bus-name",
            "no-such-bus",
            "--order",
            &sample("order-created.json"),
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("event bus \"no-such-bus\" does not exist"),
        "{stderr}"
    );

    let output = localbus(
        &moto,
        &[
            "--event-bus-name",
            "default",
            "--order",
            &sample("ec2-stopped.json"),
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("order 0: not an OrderCreated") && stderr.contains("unexpected event type"),
        "{stderr}"
    );
}

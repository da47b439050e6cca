//! `localbus route` and `routes` on the project's own template.yaml: every sample event reaches
//! exactly the functions `events/routing/routing.json` declares, with the event as its payload.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn localbus(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_localbus"))
        .current_dir(root())
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn every_sample_event_reaches_what_the_routing_table_declares() {
    let table: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("events/routing/routing.json")).unwrap(),
    )
    .unwrap();
    let mut routed = 0;
    for (file, entry) in table.as_object().unwrap() {
        let Some(bus) = entry.get("bus").and_then(Value::as_str) else {
            continue;
        };
        let event_arg = format!("file://events/{file}");
        let output = localbus(&["route", "--event", &event_arg, "--event-bus-name", bus]);
        assert!(
            output.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let result: Value = serde_json::from_slice(&output.stdout).unwrap();
        let matches = result["Matches"].as_array().unwrap();
        let reached: BTreeSet<String> = matches
            .iter()
            .map(|m| m["Function"].as_str().unwrap().to_owned())
            .collect();
        let expected: BTreeSet<String> = entry["reaches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(reached, expected, "{file}");
        let event: Value = serde_json::from_str(
            &std::fs::read_to_string(root().join("events").join(file)).unwrap(),
        )
        .unwrap();
        for m in matches {
            assert_eq!(
                m["Input"], event,
                "{file}: the targets have no input option, so they get the event"
            );
            let delivery = entry["delivery"][m["Function"].as_str().unwrap()]
                .as_str()
                .unwrap();
            assert_eq!(m["Delivery"], delivery, "{file}");
            assert_eq!(m.get("Queue").is_some(), delivery == "sqs", "{file}");
        }
        routed += 1;
    }
    assert!(routed >= 30, "only {routed} events routed");
}

#[test]
fn routes_lists_every_rule_and_bad_input_is_a_validation_exception() {
    let output = localbus(&["routes"]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    for rule in [
        "AuditFunctionAuditEvents",
        "EmailFunctionOrderCreated",
        "ShippingOrderCreatedRule",
        "PartnerPublisherFunctionOrderCreated",
    ] {
        assert!(text.contains(rule), "{rule} missing from:\n{text}");
    }
    assert!(
        text.contains("ShippingQueue -> ShippingFunction (sqs)"),
        "{text}"
    );

    let output = localbus(&["route", "--event", "[1,2]"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("ValidationException"));
    let output = localbus(&[
        "route",
        "--event",
        "file://events/order-created.json",
        "--event-bus-name",
        "NoSuchBus",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no event bus \"NoSuchBus\""));
}

//! Routes every sample of `events/` through the rules of `template.yaml` with the local
//! pattern matcher, and checks the functions each one reaches against
//! `events/routing/routing.json`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use eventbridge_pattern::Matcher;
use sam_template::{Delivery, Template};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn template() -> Template {
    Template::from_path(root().join("template.yaml")).unwrap()
}

/// The routing table. It lives in a sub-directory so that tools reading every `events/*.json`
/// as an event (shared/tests/samples.rs) do not take it for one.
fn routing() -> BTreeMap<String, Value> {
    let text = std::fs::read_to_string(root().join("events/routing/routing.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn samples() -> BTreeMap<String, Value> {
    std::fs::read_dir(root().join("events"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file() && path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let json = serde_json::from_slice(&std::fs::read(&path).unwrap())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, json)
        })
        .collect()
}

/// One matcher per bus, the rules' logical ids as names.
fn matchers(template: &Template) -> BTreeMap<String, Matcher> {
    template
        .buses()
        .iter()
        .map(|bus| {
            let patterns: Vec<(String, String)> = template
                .rules_on_bus(&bus.logical_id)
                .map(|rule| (rule.logical_id.clone(), rule.pattern_text()))
                .collect();
            (bus.logical_id.clone(), Matcher::new(patterns).unwrap())
        })
        .collect()
}

/// The functions an event published on `bus` reaches, with their delivery.
fn route(template: &Template, matcher: &Matcher, event: &str) -> BTreeMap<String, Delivery> {
    let mut reached = BTreeMap::new();
    for rule_id in matcher.matching_names(event).unwrap() {
        let rule = template.rule(rule_id).unwrap();
        for target in &rule.targets {
            for (function, delivery) in template.reached_functions(target) {
                let previous = reached.insert(function.to_owned(), delivery);
                assert!(
                    previous.is_none() || previous == Some(delivery),
                    "{function} reached twice with different deliveries"
                );
            }
        }
    }
    reached
}

fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn assert_envelope(name: &str, event: &Value) {
    for field in [
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
    ] {
        assert!(event[field].is_string(), "{name}: {field} is not a string");
    }
    assert!(event["resources"].is_array(), "{name}: resources");
    assert!(event["detail"].is_object(), "{name}: detail");
    assert!(
        is_uuid(event["id"].as_str().unwrap()),
        "{name}: id is not a UUID"
    );
}

#[test]
fn every_rule_is_enabled_on_a_declared_bus_with_a_valid_pattern() {
    let template = template();
    assert!(!template.rules().is_empty());
    for rule in template.rules() {
        let bus = rule.bus.logical_id().unwrap_or_else(|| {
            panic!(
                "{}: bus {:?} is not in the template",
                rule.logical_id, rule.bus
            )
        });
        assert!(template.bus(bus).is_some(), "{}", rule.logical_id);
        assert!(rule.state.is_enabled(), "{}", rule.logical_id);
        eventbridge_pattern::validate(&rule.pattern_text())
            .unwrap_or_else(|e| panic!("{}: {e}", rule.logical_id));
        assert!(!rule.targets.is_empty(), "{}", rule.logical_id);
        for target in &rule.targets {
            assert!(
                !template.reached_functions(target).is_empty(),
                "{}: target {} reaches no function",
                rule.logical_id,
                target.id
            );
        }
    }
}

#[test]
fn routing_table_and_samples_list_the_same_files() {
    let routing: BTreeSet<String> = routing().into_keys().collect();
    let samples: BTreeSet<String> = samples().into_keys().collect();
    let without_entry: Vec<_> = samples.difference(&routing).collect();
    let without_file: Vec<_> = routing.difference(&samples).collect();
    assert!(
        without_entry.is_empty(),
        "samples without a routing entry: {without_entry:?}"
    );
    assert!(
        without_file.is_empty(),
        "routing entries without a sample: {without_file:?}"
    );
}

#[test]
fn every_sample_reaches_exactly_the_functions_of_the_routing_table() {
    let template = template();
    let matchers = matchers(&template);
    let routing = routing();
    let mut routed = 0;
    for (name, event) in samples() {
        let Some(entry) = routing.get(&name) else {
            panic!("{name}: no entry in events/routing/routing.json");
        };
        if event.get("Records").is_some() {
            check_sqs_sample(&template, &matchers, &name, &event, entry);
            continue;
        }
        assert_envelope(&name, &event);
        let bus = entry["bus"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: the entry has no bus"));
        let matcher = matchers
            .get(bus)
            .unwrap_or_else(|| panic!("{name}: unknown bus {bus}"));
        let reached = route(&template, matcher, &event.to_string());

        let expected: BTreeSet<&str> = entry["reaches"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: reaches is not a list"))
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        let actual: BTreeSet<&str> = reached.keys().map(String::as_str).collect();
        assert_eq!(actual, expected, "{name} on {bus}");

        let expected_delivery: BTreeMap<&str, &str> = entry
            .get("delivery")
            .and_then(Value::as_object)
            .map(|map| {
                map.iter()
                    .map(|(k, v)| (k.as_str(), v.as_str().unwrap()))
                    .collect()
            })
            .unwrap_or_default();
        let actual_delivery: BTreeMap<&str, &str> = reached
            .iter()
            .map(|(f, d)| (f.as_str(), d.as_str()))
            .collect();
        assert_eq!(actual_delivery, expected_delivery, "{name}: deliveries");
        routed += 1;
    }
    assert!(routed >= 30, "only {routed} samples routed");
}

/// An SQS-wrapped sample: its queue feeds the named function, and every record body is an
/// event that the template routes to that function through that queue.
fn check_sqs_sample(
    template: &Template,
    matchers: &BTreeMap<String, Matcher>,
    name: &str,
    sample: &Value,
    entry: &Value,
) {
    assert_eq!(entry["kind"], "sqs", "{name}");
    let function = entry["function"].as_str().unwrap();
    let queue = entry["queue"].as_str().unwrap();
    let consumers: Vec<_> = template
        .queue_consumers(queue)
        .map(|f| f.logical_id.as_str())
        .collect();
    assert_eq!(consumers, [function], "{name}");
    let records = sample["Records"].as_array().unwrap();
    assert!(!records.is_empty(), "{name}");
    for record in records {
        let body: Value = serde_json::from_str(record["body"].as_str().unwrap()).unwrap();
        assert_envelope(name, &body);
        let reached_through_queue = template.buses().iter().any(|bus| {
            route(template, &matchers[&bus.logical_id], &body.to_string()).get(function)
                == Some(&Delivery::Sqs)
        });
        assert!(
            reached_through_queue,
            "{name}: a record no rule sends to {queue}"
        );
    }
}

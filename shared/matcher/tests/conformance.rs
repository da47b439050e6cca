//! Conformance: the AWS-recorded TestEventPattern cases, event-ruler's verdicts on the edge
//! cases and on its CIDR and `$or` quirks, the extra AWS-validated cases, and event-ruler's
//! array fixtures.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use eventbridge_pattern::{Matcher, Pattern, PatternError, test_event_pattern};
use serde::Deserialize;
use serde_json::value::RawValue;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/event-ruler");

#[derive(Deserialize)]
struct AwsCase {
    name: String,
    expect: String,
    pattern: Box<RawValue>,
    event: Box<RawValue>,
    aws_error: Option<String>,
}

#[derive(Deserialize)]
struct EdgeCase {
    name: String,
    pattern: Option<Box<RawValue>>,
    event: Option<Box<RawValue>>,
    pattern_raw: Option<String>,
    event_raw: Option<String>,
    event_ruler: String,
    event_ruler_error: Option<String>,
}

/// "match" / "nomatch" / "error: <full message>".
fn verdict(pattern: &str, event: &str) -> String {
    match Pattern::parse(pattern) {
        Err(e) => format!("error: {e}"),
        Ok(p) => match p.matches(event) {
            Ok(true) => "match".into(),
            Ok(false) => "nomatch".into(),
            Err(e) => format!("event error: {e}"),
        },
    }
}

#[test]
fn aws_validated_cases() {
    let text =
        std::fs::read_to_string(format!("{DATA}/localstack-aws-validated-cases.jsonl")).unwrap();
    let mut failures = Vec::new();
    let mut n = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: AwsCase = serde_json::from_str(line).unwrap();
        n += 1;
        let got = verdict(case.pattern.get(), case.event.get());
        let want = match case.expect.as_str() {
            "error" => format!("error: {}", case.aws_error.clone().unwrap()),
            other => other.to_owned(),
        };
        if got != want {
            failures.push(format!("{}: want {want}, got {got}", case.name));
        }
    }
    assert_eq!(n, 155, "all recorded cases read");
    assert!(
        failures.is_empty(),
        "{} of {n} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn event_ruler_edge_cases() {
    let text = std::fs::read_to_string(format!("{DATA}/edge-cases-event-ruler.jsonl")).unwrap();
    let mut failures = Vec::new();
    let mut n = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: EdgeCase = serde_json::from_str(line).unwrap();
        n += 1;
        let pattern = case
            .pattern_raw
            .clone()
            .unwrap_or_else(|| case.pattern.as_ref().unwrap().get().to_owned());
        let event = case
            .event_raw
            .clone()
            .unwrap_or_else(|| case.event.as_ref().unwrap().get().to_owned());
        let got = verdict(&pattern, &event);
        let want = match case.event_ruler.as_str() {
            "error" => format!(
                "error: Event pattern is not valid. Reason: {}",
                case.event_ruler_error.clone().unwrap()
            ),
            other => other.to_owned(),
        };
        if got != want {
            failures.push(format!("{}: want {want}, got {got}", case.name));
        }
    }
    assert_eq!(n, 117, "all edge cases read");
    assert!(
        failures.is_empty(),
        "{} of {n} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[derive(Deserialize)]
struct QuirkCase {
    name: String,
    pattern: Box<RawValue>,
    event_raw: String,
    event_ruler: String,
    why: String,
}

/// Two families of event-ruler behaviour found by reading its source and checked against
/// event-ruler 2.0.1 (each case's `why` gives the reasoning):
///
/// * `cidr` (and IP string literals, which event-ruler turns into one-address CIDR ranges)
///   are matched on text by its byte automaton, not on addresses: the range is a pair of
///   8- or 32-digit hex strings and the automaton decides as soon as the digits read so far
///   are inside. So an IPv6 address can match an IPv4 range by its leading digits, an IPv4
///   address can match an IPv6 range, host bits of the block are cleared, and a number is
///   read as its JSON text (digits are hex digits) unless the field also has a numeric test
///   and the number is comparable;
/// * `$or` branches are added one by one and a branch that an earlier branch already covers
///   for *some* value of *every* field is dropped as a duplicate. With `{"exists": false}`
///   next to other values, those values join the field's absence state, so a branch that
///   adds values to an earlier `exists: false` branch loses them.
#[test]
fn event_ruler_quirks() {
    let text = std::fs::read_to_string(format!("{DATA}/event-ruler-quirks.jsonl")).unwrap();
    let mut failures = Vec::new();
    let mut n = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: QuirkCase = serde_json::from_str(line).unwrap();
        n += 1;
        let got = verdict(case.pattern.get(), &case.event_raw);
        if got != case.event_ruler {
            failures.push(format!(
                "{}: want {}, got {got} ({})",
                case.name, case.event_ruler, case.why
            ));
        }
    }
    assert_eq!(n, 23, "all quirk cases read");
    assert!(
        failures.is_empty(),
        "{} of {n} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

const ENVELOPE: &str = r#""id": "1", "source": "s", "detail-type": "t", "account": "123456789012", "region": "us-east-1", "time": "2022-01-01T00:00:00Z", "resources": []"#;

#[test]
fn extra_aws_validated_cases() {
    // Duplicated key: the last one wins.
    let p = r#"{"detail":{"location":[{"prefix":"us-"}],"location":[{"anything-but":"us-east"}]}}"#;
    let e = format!(r#"{{{ENVELOPE}, "detail": {{"location": "eu-central-1"}}}}"#);
    assert!(test_event_pattern(p, &e).unwrap());
    // Exact values that look like wildcard syntax are plain strings.
    let e = format!(r#"{{{ENVELOPE}, "detail": {{"a": "*", "b": "\\"}}}}"#);
    assert!(test_event_pattern(r#"{"detail": {"a": ["*"]}}"#, &e).unwrap());
    assert!(test_event_pattern(r#"{"detail": {"b": ["\\"]}}"#, &e).unwrap());
    // A dotted key reaches into nested objects.
    let p = r#"{"detail": {"payload.nested.another-level.deep": ["v"]}}"#;
    let e = format!(
        r#"{{{ENVELOPE}, "detail": {{"payload": {{"nested": {{"another-level": {{"deep": "v"}}}}}}}}}}"#
    );
    assert!(test_event_pattern(p, &e).unwrap());
}

fn fixture(name: &str) -> String {
    let path = format!("{TESTDATA}/{name}");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("test data {path}: {e}"))
}

#[test]
fn array_consistency_fixtures() {
    let matcher =
        Matcher::new((1..=3).map(|i| (format!("rule{i}"), fixture(&format!("arrayRule{i}.json")))))
            .unwrap();
    let expected: [&[&str]; 4] = [&["rule1", "rule2"], &[], &[], &["rule3"]];
    for (i, want) in expected.iter().enumerate() {
        let event = fixture(&format!("arrayEvent{}.json", i + 1));
        assert_eq!(
            &matcher.matching_names(&event).unwrap(),
            want,
            "arrayEvent{}",
            i + 1
        );
    }
}

#[test]
fn big_event_matches_its_rule() {
    let p = Pattern::parse(&fixture("bigEventRule.json")).unwrap();
    let event = fixture("bigEvent.json");
    assert!(p.matches(&event).unwrap());
    // And a rule needing two values that only occur in different array elements fails.
    let cross = r#"{"detail": {"requestParameters": {"changeBatch": {"changes": {"action": ["NO-SUCH-ACTION"], "resourceRecordSet": {"type": [{"prefix": "A"}]}}}}}}"#;
    assert!(!Pattern::parse(cross).unwrap().matches(&event).unwrap());
}

#[test]
fn error_texts_have_aws_prefix() {
    let e: PatternError = Pattern::parse("[]").unwrap_err();
    assert_eq!(
        e.to_string(),
        "Event pattern is not valid. Reason: Filter is not an object"
    );
}

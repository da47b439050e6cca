//! Runs the built `localbus` binary and checks stdout, stderr and the exit code.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

const BIN: &str = env!("CARGO_BIN_EXE_localbus");
const CASES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../matcher/tests/data/localstack-aws-validated-cases.jsonl"
);

const EVENT: &str = r#"{"id": "1", "account": "123456789012", "source": "aws.ec2", "time": "2022-07-13T13:48:01Z", "region": "us-east-1", "resources": [], "detail-type": "EC2 Instance State-change Notification", "detail": {"state": "running", "size": 7}}"#;

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run localbus")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// A fresh file in the temp dir holding `content`.
fn temp_file(content: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "localbus-test-{}-{}.json",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::write(&path, content).unwrap();
    path
}

fn tep(pattern: &str, event: &str) -> Output {
    run(&[
        "test-event-pattern",
        "--event-pattern",
        pattern,
        "--event",
        event,
    ])
}

#[test]
fn matching_event_prints_true() {
    let o = tep(
        r#"{"source": ["aws.ec2"], "detail": {"size": [{"numeric": [">", 5]}]}}"#,
        EVENT,
    );
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    assert_eq!(stdout(&o), "{\"Result\":true}\n");
    assert_eq!(stderr(&o), "");
}

#[test]
fn other_event_prints_false() {
    let o = tep(
        r#"{"detail": {"state": [{"anything-but": "running"}]}}"#,
        EVENT,
    );
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "{\"Result\":false}\n");
}

#[test]
fn invalid_pattern_exits_2_with_aws_reason() {
    let o = tep(r#"{"source": []}"#, EVENT);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "");
    assert_eq!(
        stderr(&o),
        "An error occurred (InvalidEventPatternException) when calling the TestEventPattern operation: Event pattern is not valid. Reason: Empty arrays are not allowed\n"
    );
    let o = tep(r#"{"a": [{"wildcard": "*:*:*:*:*:event-bus/*"}]}"#, EVENT);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("Reason: Rule is too complex"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn pattern_over_size_limit_is_rejected_unless_raised() {
    let long = format!(r#"{{"source": ["{}"]}}"#, "x".repeat(2100));
    let o = tep(&long, EVENT);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("Event pattern is not valid. Reason: "),
        "{}",
        stderr(&o)
    );
    let o = run(&[
        "test-event-pattern",
        "--max-pattern-chars",
        "4096",
        "--event-pattern",
        &long,
        "--event",
        EVENT,
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "{\"Result\":false}\n");
}

#[test]
fn invalid_events_are_validation_exceptions() {
    let msg = "An error occurred (ValidationException) when calling the TestEventPattern operation: Parameter Event is not valid.\n";
    for event in [
        r#""just a string""#,
        "[1, 2]",
        r#"{"source": "aws.ec2"}"#,
        "{not json",
    ] {
        let o = tep(r#"{"source": ["aws.ec2"]}"#, event);
        assert_eq!(o.status.code(), Some(2), "event {event}");
        assert_eq!(stderr(&o), msg, "event {event}");
        assert_eq!(stdout(&o), "");
    }
}

#[test]
fn file_arguments_are_read() {
    let p = temp_file(r#"{"detail-type": [{"prefix": "EC2"}]}"#);
    let e = temp_file(EVENT);
    let o = tep(
        &format!("file://{}", p.display()),
        &format!("file://{}", e.display()),
    );
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    assert_eq!(stdout(&o), "{\"Result\":true}\n");
    let o = tep("file:///no/such/file.json", EVENT);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/no/such/file.json"));
}

#[test]
fn batch_answers_each_line_in_order() {
    let event =
        serde_json::to_string(&serde_json::from_str::<serde_json::Value>(EVENT).unwrap()).unwrap();
    let lines = [
        format!(r#"{{"pattern": {{"source": ["aws.ec2"]}}, "event": {event}}}"#),
        format!(r#"{{"pattern": "{{\"source\": [\"other\"]}}", "event": {event}}}"#),
        format!(r#"{{"pattern": {{"source": "aws.ec2"}}, "event": {event}}}"#),
        r#"{"pattern": {"source": ["aws.ec2"]}, "event": "[1]"}"#.to_owned(),
        "not json".to_owned(),
    ];
    let f = temp_file(&lines.join("\n"));
    let o = run(&["test-event-pattern", "--batch", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let out: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(out.len(), 5);
    assert_eq!(out[0], serde_json::json!({"Result": true}));
    assert_eq!(out[1], serde_json::json!({"Result": false}));
    assert_eq!(
        out[2],
        serde_json::json!({"Error": "\"source\" must be an object or an array"})
    );
    assert_eq!(
        out[3],
        serde_json::json!({"Error": "Parameter Event is not valid."})
    );
    assert!(
        out[4]["Error"]
            .as_str()
            .unwrap()
            .starts_with("line is not a JSON object")
    );
}

#[test]
fn batch_reproduces_the_aws_recorded_cases() {
    let o = run(&["test-event-pattern", "--batch", CASES]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let cases = std::fs::read_to_string(CASES).unwrap();
    let answers: Vec<String> = stdout(&o).lines().map(str::to_owned).collect();
    let cases: Vec<serde_json::Value> = cases
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), cases.len());
    for (case, answer) in cases.iter().zip(&answers) {
        let answer: serde_json::Value = serde_json::from_str(answer).unwrap();
        let want = match case["expect"].as_str().unwrap() {
            "match" => serde_json::json!({"Result": true}),
            "nomatch" => serde_json::json!({"Result": false}),
            _ => {
                let full = case["aws_error"].as_str().unwrap();
                serde_json::json!({"Error": full.strip_prefix("Event pattern is not valid. Reason: ").unwrap()})
            }
        };
        assert_eq!(answer, want, "case {}", case["name"]);
    }
}

#[test]
fn usage_errors_exit_2() {
    let o = run(&["test-event-pattern", "--event-pattern", "{}"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--event"), "{}", stderr(&o));
}

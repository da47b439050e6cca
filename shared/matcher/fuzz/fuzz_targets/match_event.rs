//! Matching arbitrary bytes against compiled patterns: never panics, and the matcher with
//! all patterns agrees with each pattern on its own.
//!
//! Input: optional pattern text, a newline, then the event bytes. Without a valid pattern
//! the event is matched against a fixed set covering every operator.
#![no_main]

use std::sync::OnceLock;

use eventbridge_pattern::{Matcher, Pattern};
use libfuzzer_sys::fuzz_target;

const PATTERNS: &[&str] = &[
    r#"{"source": ["aws.ec2"], "detail": {"state": [{"anything-but": "running"}]}}"#,
    r#"{"detail": {"a": {"b": [1], "c": [{"prefix": "x"}]}}}"#,
    r#"{"detail": {"a": [{"numeric": [">", 0, "<=", 5]}, {"numeric": ["=", 37.729900216217324]}]}}"#,
    r#"{"detail": {"a": [{"exists": false}], "b": [{"exists": true}]}}"#,
    r#"{"detail": {"ip": [{"cidr": "10.0.0.0/8"}, {"cidr": "2001:db8::/32"}, "192.168.0.1"]}}"#,
    r#"{"detail": {"s": [{"wildcard": "a*b*c"}, {"suffix": {"equals-ignore-case": "PNG"}}, {"equals-ignore-case": "Straße"}]}}"#,
    r#"{"$or": [{"detail.a": [null, true, false, ""]}, {"detail": {"$or": [{"b": [{"anything-but": {"wildcard": "*.jpg"}}]}, {"c": [12345678901234567890]}]}}]}"#,
    r#"{"detail": {"a": {"b": [{"anything-but": [1, 2]}], "c": [{"anything-but": {"equals-ignore-case": ["X"]}}]}}}"#,
];

fn all() -> &'static (Matcher, Vec<Pattern>) {
    static CELL: OnceLock<(Matcher, Vec<Pattern>)> = OnceLock::new();
    CELL.get_or_init(|| {
        let m = Matcher::new(PATTERNS.iter().enumerate().map(|(i, p)| (i.to_string(), *p))).expect("fixed patterns");
        let singles = PATTERNS.iter().map(|p| Pattern::parse(p).expect("fixed pattern")).collect();
        (m, singles)
    })
}

fuzz_target!(|data: &[u8]| {
    if let Some(nl) = data.iter().position(|&b| b == b'\n') {
        if let Ok(text) = std::str::from_utf8(&data[..nl]) {
            if let Ok(p) = Pattern::parse(text) {
                let _ = p.matches(&data[nl + 1..]);
            }
        }
    }
    let (m, singles) = all();
    // A single pattern reads a subset of the paths the full matcher reads, so when the
    // full matcher accepts the event every single pattern must too, and agree.
    if let Ok(names) = m.matching_names(data) {
        let want: Vec<String> = singles
            .iter()
            .enumerate()
            .filter(|(_, p)| p.matches(data).expect("accepted by the full matcher"))
            .map(|(i, _)| i.to_string())
            .collect();
        assert_eq!(names, want, "matcher and single patterns disagree");
    }
});

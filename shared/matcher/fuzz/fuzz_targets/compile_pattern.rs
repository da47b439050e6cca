//! Pattern compilation on arbitrary text: never panics, and a pattern that compiles can
//! be used for matching.
#![no_main]

use eventbridge_pattern::{Limits, Pattern, validate_with};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let limits = Limits { max_pattern_chars: 8192, ..Limits::default() };
    let verdict = validate_with(text, &limits);
    match Pattern::parse_with(text, &limits) {
        Ok(p) => {
            assert!(verdict.is_ok(), "validate and parse disagree");
            let _ = p.matches(r#"{"id": "1", "source": "s", "detail": {"a": [1, "x", null, {"b": true}]}}"#);
        }
        Err(e) => {
            assert_eq!(verdict.err(), Some(e.clone()), "validate and parse disagree");
            assert!(e.to_string().starts_with("Event pattern is not valid. Reason: "));
        }
    }
});

//! Every operator and the traps of matcher.md §4, one assertion table per topic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use eventbridge_pattern::{EventError, Limits, MatchScratch, Matcher, Pattern, validate};

/// (pattern, event, expected) rows.
fn check(rows: &[(&str, &str, bool)]) {
    for (p, e, want) in rows {
        let got = Pattern::parse(p)
            .unwrap_or_else(|err| panic!("pattern {p}: {err}"))
            .matches(e)
            .unwrap_or_else(|err| panic!("event {e}: {err}"));
        assert_eq!(got, *want, "pattern {p} on event {e}");
    }
}

fn reason(p: &str) -> String {
    validate(p).expect_err(p).reason()
}

#[test]
fn exact_values_by_type() {
    check(&[
        (r#"{"a": ["x"]}"#, r#"{"a": "x"}"#, true),
        (r#"{"a": ["x"]}"#, r#"{"a": "X"}"#, false),
        (r#"{"a": [5]}"#, r#"{"a": 5.0}"#, true),
        (r#"{"a": [5]}"#, r#"{"a": "5"}"#, false),
        (r#"{"a": ["5"]}"#, r#"{"a": 5}"#, false),
        (r#"{"a": [300]}"#, r#"{"a": 3.0e2}"#, true),
        (r#"{"a": [0]}"#, r#"{"a": -0.0}"#, true),
        (r#"{"a": [true]}"#, r#"{"a": true}"#, true),
        (r#"{"a": [true]}"#, r#"{"a": 1}"#, false),
        (r#"{"a": [1]}"#, r#"{"a": true}"#, false),
        (r#"{"a": [false]}"#, r#"{"a": "false"}"#, false),
        (r#"{"a": [null]}"#, r#"{"a": null}"#, true),
        (r#"{"a": [null]}"#, r#"{"b": 1}"#, false),
        (r#"{"a": [null]}"#, r#"{"a": []}"#, false),
        (r#"{"a": [""]}"#, r#"{"a": ""}"#, true),
        (r#"{"a": [""]}"#, r#"{"a": null}"#, false),
        (r#"{"a": [{"exactly": "x"}]}"#, r#"{"a": "x"}"#, true),
        (r#"{"a": ["x", "y"]}"#, r#"{"a": "y"}"#, true),
        (r#"{"a": ["é"]}"#, r#"{"a": "\u00e9"}"#, true),
        (r#"{"a": ["\\"]}"#, r#"{"a": "\\"}"#, true),
    ]);
}

#[test]
fn numbers_that_are_not_exactly_a_double_compare_as_text() {
    check(&[
        (
            r#"{"a": [12345678901234567890]}"#,
            r#"{"a": 12345678901234567890}"#,
            true,
        ),
        (
            r#"{"a": [9007199254740992]}"#,
            r#"{"a": 9007199254740993}"#,
            false,
        ),
        (
            r#"{"a": [37.807807921694092]}"#,
            r#"{"a": 37.807807921694092}"#,
            true,
        ),
        (
            r#"{"a": [37.807807921694092]}"#,
            r#"{"a": 37.80780792169409}"#,
            false,
        ),
        (
            r#"{"a": [{"numeric": ["=", 37.80780792169409]}]}"#,
            r#"{"a": 37.807807921694092}"#,
            false,
        ),
        (
            r#"{"a": [{"numeric": ["=", 0.30000000000000004]}]}"#,
            r#"{"a": 0.30000000000000004}"#,
            true,
        ),
        (
            r#"{"a": [{"numeric": ["<", 10]}]}"#,
            r#"{"a": 9007199254740993}"#,
            false,
        ),
    ]);
    assert_eq!(
        reason(r#"{"a": [{"numeric": ["=", 9007199254740993]}]}"#),
        "Cannot compare number : 9007199254740993"
    );
}

#[test]
fn prefix_suffix_and_ignore_case() {
    check(&[
        (
            r#"{"a": [{"prefix": "us-"}]}"#,
            r#"{"a": "us-east-1"}"#,
            true,
        ),
        (
            r#"{"a": [{"prefix": "us-"}]}"#,
            r#"{"a": "eu-west-1"}"#,
            false,
        ),
        (r#"{"a": [{"prefix": ""}]}"#, r#"{"a": "anything"}"#, true),
        (r#"{"a": [{"prefix": ""}]}"#, r#"{"a": null}"#, false),
        (r#"{"a": [{"prefix": "12"}]}"#, r#"{"a": 123}"#, false),
        (r#"{"a": [{"suffix": ".png"}]}"#, r#"{"a": "x.png"}"#, true),
        (r#"{"a": [{"suffix": ".png"}]}"#, r#"{"a": "x.PNG"}"#, false),
        (r#"{"a": [{"suffix": "3"}]}"#, r#"{"a": 123}"#, false),
        (
            r#"{"a": [{"prefix": {"equals-ignore-case": "EC2"}}]}"#,
            r#"{"a": "ec2.instance"}"#,
            true,
        ),
        (
            r#"{"a": [{"suffix": {"equals-ignore-case": "PNG"}}]}"#,
            r#"{"a": "x.Png"}"#,
            true,
        ),
        (
            r#"{"a": [{"equals-ignore-case": "alice"}]}"#,
            r#"{"a": "ALICE"}"#,
            true,
        ),
        (
            r#"{"a": [{"equals-ignore-case": "alice"}]}"#,
            r#"{"a": "alicex"}"#,
            false,
        ),
        (
            r#"{"a": [{"equals-ignore-case": "ÉCOLE"}]}"#,
            r#"{"a": "école"}"#,
            true,
        ),
        (
            r#"{"a": [{"equals-ignore-case": "STRASSE"}]}"#,
            r#"{"a": "straße"}"#,
            false,
        ),
        (
            r#"{"a": [{"equals-ignore-case": "5"}]}"#,
            r#"{"a": 5}"#,
            false,
        ),
        (
            r#"{"a": [{"prefix": "ab"}, {"prefix": "abc"}, {"suffix": "yz"}]}"#,
            r#"{"a": "abcxyz"}"#,
            true,
        ),
    ]);
}

#[test]
fn wildcards() {
    check(&[
        (
            r#"{"a": [{"wildcard": "dir/*.png"}]}"#,
            r#"{"a": "dir/x/y.png"}"#,
            true,
        ),
        (r#"{"a": [{"wildcard": "a*"}]}"#, r#"{"a": "a"}"#, true),
        (r#"{"a": [{"wildcard": "*"}]}"#, r#"{"a": ""}"#, true),
        (r#"{"a": [{"wildcard": "a\\*b"}]}"#, r#"{"a": "a*b"}"#, true),
        (
            r#"{"a": [{"wildcard": "a\\*b"}]}"#,
            r#"{"a": "axb"}"#,
            false,
        ),
        (
            r#"{"a": [{"wildcard": "a\\\\b"}]}"#,
            r#"{"a": "a\\b"}"#,
            true,
        ),
        (r#"{"a": [{"wildcard": "1*"}]}"#, r#"{"a": 123}"#, false),
        (r#"{"a": ["*"]}"#, r#"{"a": "*"}"#, true),
        (r#"{"a": ["*"]}"#, r#"{"a": "x"}"#, false),
    ]);
    assert_eq!(
        reason(r#"{"a": [{"wildcard": "a**"}]}"#),
        "Consecutive wildcard characters at pos 2"
    );
    assert_eq!(
        reason(r#"{"a": [{"wildcard": "a\\b"}]}"#),
        "Invalid escape character at pos 2"
    );
    assert!(
        reason(r#"{"a": [{"wildcard": "*:*:*:*:*:event-bus/*"}]}"#)
            .starts_with("Rule is too complex")
    );
    assert!(validate(r#"{"a": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]}"#).is_ok());
}

#[test]
fn anything_but_forms() {
    check(&[
        (r#"{"a": [{"anything-but": "x"}]}"#, r#"{"a": "y"}"#, true),
        (r#"{"a": [{"anything-but": "x"}]}"#, r#"{"a": "x"}"#, false),
        (r#"{"a": [{"anything-but": "x"}]}"#, r#"{"b": "y"}"#, false),
        (r#"{"a": [{"anything-but": "x"}]}"#, r#"{"a": null}"#, true),
        (r#"{"a": [{"anything-but": "x"}]}"#, r#"{"a": 5}"#, true),
        (r#"{"a": [{"anything-but": "x"}]}"#, r#"{"a": true}"#, true),
        (r#"{"a": [{"anything-but": "x"}]}"#, r#"{"a": []}"#, false),
        (
            r#"{"a": [{"anything-but": "x"}]}"#,
            r#"{"a": ["x", "y"]}"#,
            true,
        ),
        (
            r#"{"a": [{"anything-but": "x"}]}"#,
            r#"{"a": ["x", "x"]}"#,
            false,
        ),
        (
            r#"{"a": [{"anything-but": [100, 200]}]}"#,
            r#"{"a": 100.0}"#,
            false,
        ),
        (
            r#"{"a": [{"anything-but": [100, 200]}]}"#,
            r#"{"a": "100"}"#,
            true,
        ),
        (
            r#"{"a": [{"anything-but": {"prefix": "init"}}]}"#,
            r#"{"a": "initializing"}"#,
            false,
        ),
        (
            r#"{"a": [{"anything-but": {"prefix": ["a", "b"]}}]}"#,
            r#"{"a": "cat"}"#,
            true,
        ),
        (
            r#"{"a": [{"anything-but": {"prefix": "1"}}]}"#,
            r#"{"a": 123}"#,
            true,
        ),
        (
            r#"{"a": [{"anything-but": {"suffix": ".png"}}]}"#,
            r#"{"a": "x.png"}"#,
            false,
        ),
        (
            r#"{"a": [{"anything-but": {"equals-ignore-case": ["Fulton"]}}]}"#,
            r#"{"a": "FULTON"}"#,
            false,
        ),
        (
            r#"{"a": [{"anything-but": {"equals-ignore-case": "x"}}]}"#,
            r#"{"a": "y"}"#,
            true,
        ),
        (
            r#"{"a": [{"anything-but": {"wildcard": "*/lib/*"}}]}"#,
            r#"{"a": "/usr/lib/x"}"#,
            false,
        ),
        (
            r#"{"a": [{"anything-but": {"wildcard": ["*.png", "*.jpg"]}}]}"#,
            r#"{"a": "x.gif"}"#,
            true,
        ),
    ]);
    assert_eq!(
        reason(r#"{"a": [{"anything-but": ["x", 1]}]}"#),
        "Inside anything but list, either all values are number or string, mixed type is not supported"
    );
    assert_eq!(
        reason(r#"{"a": [{"anything-but": null}]}"#),
        "Value of anything-but must be an array or single string/number value."
    );
    assert_eq!(
        reason(r#"{"a": [{"anything-but": {"prefix": ""}}]}"#),
        "Null prefix/suffix not allowed"
    );
    assert_eq!(
        reason(r#"{"a": [{"anything-but": {"regex": "x"}}]}"#),
        "Unsupported anything-but pattern: regex"
    );
}

#[test]
fn numeric_ranges() {
    check(&[
        (
            r#"{"a": [{"numeric": [">", 0, "<=", 5]}]}"#,
            r#"{"a": 5}"#,
            true,
        ),
        (
            r#"{"a": [{"numeric": [">", 0, "<=", 5]}]}"#,
            r#"{"a": 0}"#,
            false,
        ),
        (
            r#"{"a": [{"numeric": [">=", 0, "<", 5]}]}"#,
            r#"{"a": 0}"#,
            true,
        ),
        (
            r#"{"a": [{"numeric": ["<", 10]}]}"#,
            r#"{"a": -1e300}"#,
            true,
        ),
        (
            r#"{"a": [{"numeric": ["=", 301.8]}]}"#,
            r#"{"a": 3.018e2}"#,
            true,
        ),
        (
            r#"{"a": [{"numeric": [">", 1e300]}]}"#,
            r#"{"a": 1e301}"#,
            true,
        ),
        (r#"{"a": [{"numeric": [">", 0]}]}"#, r#"{"a": "5"}"#, false),
        (r#"{"a": [{"numeric": [">", 0]}]}"#, r#"{"a": true}"#, false),
    ]);
    for (p, r) in [
        (
            r#"{"a": [{"numeric": [">", 5, "<", 1]}]}"#,
            "Bottom must be less than top",
        ),
        (
            r#"{"a": [{"numeric": ["<", 10, ">", 1]}]}"#,
            "Too many elements in numeric expression",
        ),
        (
            r#"{"a": [{"numeric": [">", 1, ">", 2]}]}"#,
            "Bad numeric range operator: >",
        ),
        (
            r#"{"a": [{"numeric": ["~", 1]}]}"#,
            "Unrecognized numeric range operator: ~",
        ),
        (
            r#"{"a": [{"numeric": [">", 0, "<"]}]}"#,
            "Value of < must be numeric",
        ),
        (
            r#"{"a": [{"numeric": [1]}]}"#,
            "Invalid member in numeric match: 1",
        ),
        (
            r#"{"a": [{"numeric": 10}]}"#,
            "Value of numeric must be an array.",
        ),
        (
            r#"{"a": [{"numeric": [">", 0, "<", 5, 6]}]}"#,
            "Too many terms in numeric range expression",
        ),
    ] {
        assert_eq!(reason(p), r, "{p}");
    }
}

#[test]
fn many_numeric_ranges_use_the_index() {
    // More than 8 ranges on one field switches to the sorted index; compare with singles.
    let ranges: Vec<String> = (0..40)
        .map(|i| match i % 4 {
            0 => format!(r#"{{"a": [{{"numeric": [">", {i}]}}]}}"#),
            1 => format!(r#"{{"a": [{{"numeric": ["<=", {i}]}}]}}"#),
            2 => format!(r#"{{"a": [{{"numeric": [">=", {i}, "<", {}]}}]}}"#, i + 3),
            _ => format!(r#"{{"a": [{{"numeric": ["=", {i}]}}]}}"#),
        })
        .collect();
    let all = Matcher::new(
        ranges
            .iter()
            .enumerate()
            .map(|(i, r)| (i.to_string(), r.as_str())),
    )
    .unwrap();
    for v in ["-1", "0", "3", "3.5", "17", "39", "40", "41", "1e9"] {
        let event = format!(r#"{{"a": {v}}}"#);
        let got = all.matching_names(&event).unwrap();
        let want: Vec<String> = ranges
            .iter()
            .enumerate()
            .filter(|(_, r)| Pattern::parse(r).unwrap().matches(&event).unwrap())
            .map(|(i, _)| i.to_string())
            .collect();
        assert_eq!(got, want, "value {v}");
    }
}

#[test]
fn exists() {
    check(&[
        (r#"{"a": [{"exists": true}]}"#, r#"{"a": null}"#, true),
        (r#"{"a": [{"exists": true}]}"#, r#"{"a": []}"#, false),
        (r#"{"a": [{"exists": true}]}"#, r#"{"a": {}}"#, false),
        (r#"{"a": [{"exists": true}]}"#, r#"{"a": {"b": 1}}"#, false),
        (r#"{"a": [{"exists": false}]}"#, r#"{"b": 1}"#, true),
        (r#"{"a": [{"exists": false}]}"#, r#"{"a": null}"#, false),
        (r#"{"a": [{"exists": false}]}"#, r#"{"a": []}"#, true),
        (r#"{"a": [{"exists": false}]}"#, r#"{"a": {"b": 1}}"#, true),
        (r#"{"x": {"y": [{"exists": false}]}}"#, r#"{"a": 1}"#, true),
        (
            r#"{"a": {"b": [{"exists": false}]}}"#,
            r#"{"a": [{"c": 1}, {"b": 2}]}"#,
            false,
        ),
        (r#"{"a": [{"exists": false}, "x"]}"#, r#"{"a": "x"}"#, true),
        (r#"{"a": [{"exists": false}, "x"]}"#, r#"{"a": "y"}"#, false),
        (
            r#"{"a": [{"exists": false}], "b": ["1"]}"#,
            r#"{"b": "1"}"#,
            true,
        ),
    ]);
    assert_eq!(
        reason(r#"{"a": [{"exists": "yes"}]}"#),
        "exists match pattern must be either true or false."
    );
}

#[test]
fn cidr_and_ip_literals() {
    check(&[
        (
            r#"{"ip": [{"cidr": "10.0.0.0/24"}]}"#,
            r#"{"ip": "10.0.0.255"}"#,
            true,
        ),
        (
            r#"{"ip": [{"cidr": "10.0.0.0/24"}]}"#,
            r#"{"ip": "10.0.1.0"}"#,
            false,
        ),
        (
            r#"{"ip": [{"cidr": "10.0.0.0/8"}]}"#,
            r#"{"ip": "010.1.2.3"}"#,
            true,
        ),
        (
            r#"{"ip": [{"cidr": "10.0.0.0/8"}]}"#,
            r#"{"ip": 10}"#,
            false,
        ),
        (
            r#"{"ip": [{"cidr": "2001:db8::/32"}]}"#,
            r#"{"ip": "2001:DB8::1"}"#,
            true,
        ),
        (
            r#"{"ip": [{"cidr": "2001:db8::/32"}]}"#,
            r#"{"ip": "10.0.0.1"}"#,
            false,
        ),
        (r#"{"ip": ["10.0.0.1"]}"#, r#"{"ip": "10.0.0.1"}"#, true),
        (
            r#"{"ip": ["2001:db8::1"]}"#,
            r#"{"ip": "2001:DB8:0:0:0:0:0:1"}"#,
            true,
        ),
    ]);
    assert_eq!(
        reason(r#"{"ip": [{"cidr": "10.0.0.1/32"}]}"#),
        "IPv4 mask bits must be < 32"
    );
    assert_eq!(
        reason(r#"{"ip": [{"cidr": 5}]}"#),
        "prefix match pattern must be a string"
    );
}

#[test]
fn or_fields_and_values() {
    check(&[
        (r#"{"$or": [{"a": [1]}, {"b": [2]}]}"#, r#"{"b": 2}"#, true),
        (r#"{"$or": [{"a": [1]}, {"b": [2]}]}"#, r#"{"c": 2}"#, false),
        (
            r#"{"s": ["x"], "$or": [{"a": [1]}, {"$or": [{"b": [2]}, {"c": [3]}]}]}"#,
            r#"{"s": "x", "c": 3}"#,
            true,
        ),
        (
            r#"{"s": ["x"], "$or": [{"a": [1]}, {"b": [2]}]}"#,
            r#"{"s": "y", "a": 1}"#,
            false,
        ),
        (
            r#"{"d": {"$or": [{"a": ["x"]}, {"a": ["y"], "b": ["z"]}]}}"#,
            r#"{"d": {"a": "y", "b": "z"}}"#,
            true,
        ),
        (r#"{"a": ["x"], "b": ["y"]}"#, r#"{"a": "x"}"#, false),
    ]);
    assert_eq!(
        reason(r#"{"$or": [{"a": [1]}]}"#),
        "There must have at least 2 Objects in $or relationship."
    );
    assert_eq!(
        reason(r#"{"$or": [{"prefix": [1]}, {"a": [1]}]}"#),
        "prefix is Ruler reserved fieldName which cannot be used inside $or."
    );
    assert_eq!(
        reason(r#"{"$or": {"a": [1]}}"#),
        "It must be an Array followed with $or."
    );
    // 11 × 11 × 11 branches is over AWS's 1000 combinations.
    let branches = (0..11)
        .map(|i| format!(r#"{{"f{i}": [1]}}"#))
        .collect::<Vec<_>>()
        .join(",");
    let p = format!(
        r#"{{"$or": [{branches}], "x": {{"$or": [{branches}]}}, "y": {{"$or": [{branches}]}}}}"#
    );
    let limits = Limits {
        max_pattern_chars: 100_000,
        ..Limits::default()
    };
    assert!(eventbridge_pattern::validate_with(&p, &limits).is_err());
}

#[test]
fn arrays_and_array_consistency() {
    check(&[
        (r#"{"a": ["x"]}"#, r#"{"a": ["y", "x"]}"#, true),
        (r#"{"a": [3]}"#, r#"{"a": [[1, 2], [3]]}"#, true),
        (
            r#"{"a": {"b": [1]}}"#,
            r#"{"a": [{"b": 2}, {"b": 1}]}"#,
            true,
        ),
        (
            r#"{"a": {"b": [1], "c": [4]}}"#,
            r#"{"a": [{"b": 1, "c": 2}, {"b": 3, "c": 4}]}"#,
            false,
        ),
        (
            r#"{"a": {"b": [1], "c": [2]}}"#,
            r#"{"a": [{"b": 1, "c": 2}, {"b": 3, "c": 4}]}"#,
            true,
        ),
        // Nested arrays: the outer element must be shared too.
        (
            r#"{"a": {"b": {"c": [1], "d": [2]}}}"#,
            r#"{"a": [{"b": [{"c": 1}]}, {"b": [{"d": 2}]}]}"#,
            false,
        ),
        (
            r#"{"a": {"b": {"c": [1]}, "e": [5]}}"#,
            r#"{"a": [{"b": [{"c": 0}, {"c": 1}], "e": 5}]}"#,
            true,
        ),
        // Fields outside the array combine with any element.
        (
            r#"{"s": ["x"], "a": {"b": [1]}}"#,
            r#"{"s": "x", "a": [{"b": 0}, {"b": 1}]}"#,
            true,
        ),
        // A deferred anything-but must hold in the same element as the selective field.
        (
            r#"{"a": {"b": ["x"], "c": [{"anything-but": "y"}]}}"#,
            r#"{"a": [{"b": "x", "c": "y"}, {"b": "z", "c": "w"}]}"#,
            false,
        ),
        (
            r#"{"a": {"b": ["x"], "c": [{"anything-but": "y"}]}}"#,
            r#"{"a": [{"b": "x", "c": "w"}, {"b": "z", "c": "y"}]}"#,
            true,
        ),
    ]);
}

#[test]
fn dotted_and_duplicate_keys() {
    check(&[
        (r#"{"a.b": ["x"]}"#, r#"{"a": {"b": "x"}}"#, true),
        (r#"{"a": {"b": ["x"]}}"#, r#"{"a.b": "x"}"#, true),
        (r#"{"a": {"b.c": ["x"]}}"#, r#"{"a.b": {"c": "x"}}"#, true),
        (r#"{"a": ["x"], "a": ["y"]}"#, r#"{"a": "y"}"#, true),
        (r#"{"a": ["x"], "a": ["y"]}"#, r#"{"a": "x"}"#, false),
        // Duplicate keys in the event: the last one wins.
        (r#"{"a": ["x"]}"#, r#"{"a": "x", "a": "y"}"#, false),
        (r#"{"a": ["y"]}"#, r#"{"a": "x", "a": "y"}"#, true),
        (
            r#"{"a": {"b": ["1"]}}"#,
            r#"{"a": {"b": "1"}, "a": {"c": "2"}}"#,
            false,
        ),
        (r#"{"a": ["x"]}"#, r#"{"\u0061": "x"}"#, true),
        (r#"{"a": ["x\"y"]}"#, r#"{"a": "x\"y"}"#, true),
    ]);
}

#[test]
fn structural_errors() {
    for (p, r) in [
        ("[1]", "Filter is not an object"),
        ("{}", "Empty objects are not allowed"),
        (r#"{"a": {}}"#, "Empty objects are not allowed"),
        (r#"{"a": []}"#, "Empty arrays are not allowed"),
        (r#"{"a": "x"}"#, "\"a\" must be an object or an array"),
        (
            r#"{"a": [{"prefx": "x"}]}"#,
            "Unrecognized match type prefx",
        ),
        (
            r#"{"a": [{"EXISTS": true}]}"#,
            "Unrecognized match type EXISTS",
        ),
        (
            r#"{"a": [{"prefix": "a", "suffix": "b"}]}"#,
            "Only one key allowed in match expression",
        ),
        (r#"{"a": [{}]}"#, "Match expression name not found"),
        (
            r#"{"a": [[1]]}"#,
            "Match value must be String, number, true, false, or null",
        ),
        (
            r#"{"a": [{"prefix": 1}]}"#,
            "prefix match pattern must be a string",
        ),
        (
            r#"{"a": [{"suffix": [".png"]}]}"#,
            "suffix match pattern must be a string",
        ),
        (
            r#"{"a": [{"equals-ignore-case": 1}]}"#,
            "equals-ignore-case match pattern must be a string",
        ),
    ] {
        assert_eq!(reason(p), r, "{p}");
    }
    assert!(reason("this is not json").starts_with("Unrecognized token 'this'"));
    assert!(reason(r#"{"a": [1,]}"#).starts_with("Unexpected character"));
    // The size limit counts characters.
    let p = format!(r#"{{"a": ["{}"]}}"#, "é".repeat(2000));
    assert!(
        validate(&p).is_ok(),
        "2000 two-byte characters are under 2048 characters"
    );
    let p = format!(r#"{{"a": ["{}"]}}"#, "x".repeat(2048));
    assert!(
        validate(&p)
            .unwrap_err()
            .to_string()
            .starts_with("Event pattern is not valid. Reason: ")
    );
    // Deep nesting is an error, not a stack overflow.
    let deep = format!("{}{}", "{\"a\":".repeat(5000), "}".repeat(5000));
    let limits = Limits {
        max_pattern_chars: usize::MAX,
        ..Limits::default()
    };
    assert!(
        eventbridge_pattern::validate_with(&deep, &limits)
            .unwrap_err()
            .reason()
            .contains("nesting depth")
    );
}

#[test]
fn bad_events_are_typed_errors() {
    let m = Matcher::new([("r", r#"{"a": ["x"]}"#)]).unwrap();
    assert_eq!(m.matching_names("[1]"), Err(EventError::NotAnObject));
    assert_eq!(m.matching_names("\"x\""), Err(EventError::NotAnObject));
    for bad in [
        "",
        "{",
        r#"{"a": "x""#,
        r#"{"a" "x"}"#,
        r#"{"a": tru}"#,
        r#"{"a": 01}"#,
        r#"{"a": "x"} x"#,
        r#"{"b": [1, 2}"#,
    ] {
        assert!(
            matches!(m.matching_names(bad), Err(EventError::Malformed { .. })),
            "{bad:?}"
        );
    }
    let deep = format!("{{\"a\":{}1{}}}", "[".repeat(2000), "]".repeat(2000));
    assert_eq!(m.matching_names(&deep), Err(EventError::TooDeep(1000)));
    let deep_skipped = format!("{{\"b\":{}1{}}}", "[".repeat(2000), "]".repeat(2000));
    assert_eq!(
        m.matching_names(&deep_skipped),
        Err(EventError::TooDeep(1000))
    );
    let mut b = Matcher::builder();
    b.limits(Limits {
        max_event_bytes: 10,
        ..Limits::default()
    });
    b.add("r", r#"{"a": ["x"]}"#).unwrap();
    assert!(matches!(
        b.build().matching_names(r#"{"a": "xxxxxxxx"}"#),
        Err(EventError::TooLarge { .. })
    ));
}

#[test]
fn many_names_and_scratch_reuse() {
    let m = Matcher::new([
        ("first", r#"{"a": ["x"]}"#),
        ("second", r#"{"b": [{"prefix": "y"}]}"#),
        ("first", r#"{"c": [1]}"#),
        ("third", r#"{"a": [{"exists": false}]}"#),
    ])
    .unwrap();
    assert_eq!(m.len(), 3);
    assert_eq!(
        m.matching_names(r#"{"a": "x", "b": "yes", "c": 1}"#)
            .unwrap(),
        ["first", "second"]
    );
    assert_eq!(m.matching_names(r#"{"c": 1}"#).unwrap(), ["first", "third"]);
    assert_eq!(m.matching_names(r#"{"d": 1}"#).unwrap(), ["third"]);
    let mut scratch = MatchScratch::default();
    let mut out = Vec::new();
    for _ in 0..3 {
        m.matching_ids_with(&mut scratch, br#"{"b": "y"}"#, &mut out)
            .unwrap();
        assert_eq!(out, [1, 2]);
    }
}

/// A tiny deterministic generator for the randomized comparison below.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

#[test]
fn one_matcher_agrees_with_single_patterns() {
    // Many rules compiled together (shared predicates, late checks, numeric index) must
    // give the same answers as each rule on its own.
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let fields = ["a", "b", "c.d", "c.e"];
    let values = [
        r#""x""#,
        r#""y""#,
        "1",
        "2.5",
        "true",
        "null",
        r#"{"prefix": "x"}"#,
        r#"{"suffix": "y"}"#,
        r#"{"anything-but": "x"}"#,
        r#"{"anything-but": [1, 2]}"#,
        r#"{"exists": true}"#,
        r#"{"exists": false}"#,
        r#"{"numeric": [">", 1]}"#,
        r#"{"numeric": ["<=", 2.5]}"#,
        r#"{"equals-ignore-case": "X"}"#,
        r#"{"wildcard": "x*"}"#,
    ];
    let mut rules = Vec::new();
    for _ in 0..300 {
        let n = 1 + rng.next() % 3;
        let mut parts = Vec::new();
        for _ in 0..n {
            let f = rng.pick(&fields);
            let (head, tail) = f.split_once('.').map_or((f, None), |(h, t)| (h, Some(t)));
            let v = rng.pick(&values);
            let leaf = format!("[{v}]");
            parts.push(match tail {
                Some(t) => format!(r#""{head}": {{"{t}": {leaf}}}"#),
                None => format!(r#""{head}": {leaf}"#),
            });
        }
        rules.push(format!("{{{}}}", parts.join(", ")));
    }
    let scalars = [
        r#""x""#,
        r#""xy""#,
        r#""y""#,
        r#""X""#,
        "1",
        "2.5",
        "3",
        "true",
        "null",
        "[]",
        r#"["x", 1]"#,
    ];
    let m = Matcher::new(
        rules
            .iter()
            .enumerate()
            .map(|(i, r)| (i.to_string(), r.as_str())),
    )
    .unwrap();
    let singles: Vec<Pattern> = rules.iter().map(|r| Pattern::parse(r).unwrap()).collect();
    for _ in 0..300 {
        let mut members = Vec::new();
        for f in ["a", "b"] {
            if !rng.next().is_multiple_of(3) {
                members.push(format!(r#""{f}": {}"#, rng.pick(&scalars)));
            }
        }
        let c = format!(
            r#"{{"d": {}, "e": {}}}"#,
            rng.pick(&scalars),
            rng.pick(&scalars)
        );
        match rng.next() % 3 {
            0 => members.push(format!(r#""c": {c}"#)),
            1 => members.push(format!(r#""c": [{c}, {{"d": {}}}]"#, rng.pick(&scalars))),
            _ => {}
        }
        let event = format!("{{{}}}", members.join(", "));
        let got = m.matching_names(&event).unwrap();
        let want: Vec<String> = singles
            .iter()
            .enumerate()
            .filter(|(_, p)| p.matches(&event).unwrap())
            .map(|(i, _)| i.to_string())
            .collect();
        assert_eq!(got, want, "event {event}");
    }
}

#[test]
fn many_duplicate_keys_stay_linear() {
    // The slow path for duplicate keys rebuilds the event; it must stay linear.
    let mut event = String::from("{");
    for i in 0..50_000 {
        event.push_str(&format!(r#""a": "x{i}", "#));
    }
    event.push_str(r#""a": "y"}"#);
    let m = Matcher::new([("x", r#"{"a": ["x0"]}"#), ("y", r#"{"a": ["y"]}"#)]).unwrap();
    let t = std::time::Instant::now();
    assert_eq!(m.matching_names(&event).unwrap(), ["y"]);
    assert!(t.elapsed().as_secs() < 5, "took {:?}", t.elapsed());
}

#[test]
fn wildcard_complexity_check_is_bounded() {
    let limits = Limits {
        max_pattern_chars: 100_000,
        ..Limits::default()
    };
    let pieces: String = (0..60)
        .map(|i| format!("{}{}", char::from(b'a' + (i % 26) as u8), i))
        .collect::<Vec<_>>()
        .join("*");
    let many: Vec<String> = (0..200)
        .map(|i| format!(r#"{{"wildcard": "x{i}*y{i}"}}"#))
        .collect();
    for p in [
        format!(r#"{{"a": [{{"wildcard": "*{pieces}"}}]}}"#),
        format!(r#"{{"a": [{}]}}"#, many.join(",")),
        format!(r#"{{"a": [{{"wildcard": "{}"}}]}}"#, "ab*".repeat(300)),
    ] {
        let t = std::time::Instant::now();
        let _ = eventbridge_pattern::validate_with(&p, &limits);
        assert!(t.elapsed().as_secs_f64() < 2.0, "took {:?}", t.elapsed());
    }
}

//! The one-pass SQS reader against the two-step reference (`RawEnvelope` + `finish`): on every
//! payload, the same records, and each body the same event or the same error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::{CleanRoomsEvent, InstanceStateChange, OrderCreated};
use serde_json::Value;
use std::fmt::Debug;

/// The original two-step decoding of one event.
fn reference<T: Detail>(text: &str) -> Result<Event<T>, DecodeError> {
    finish(read_envelope_str(text)?)
}

/// An outcome in comparable form (errors by their `Debug` text, which includes serde's).
fn outcome<T: Debug>(result: &Result<Event<T>, DecodeError>) -> String {
    match result {
        Ok(event) => format!("Ok({event:?})"),
        Err(error) => format!("Err({error:?}) {error}"),
    }
}

const DETAIL: &str = r#"{"order_id":"o-1","customer_email":"customer@example.com","items":[{"sku":"ABC","quantity":2},{"sku":"XYZ","quantity":1}],"timestamp":"2023-10-27T10:00:00Z"}"#;

/// An OrderCreated event with its fields in EventBridge's order, each replaceable.
fn event(overrides: &[(&str, Option<&str>)]) -> String {
    let mut fields: Vec<(String, String)> = [
        ("version", r#""0""#),
        ("id", r#""e-1""#),
        ("detail-type", r#""OrderCreated""#),
        ("source", r#""com.ecommerce.orders""#),
        ("account", r#""123456789012""#),
        ("time", r#""2023-10-27T10:00:00Z""#),
        ("region", r#""us-east-1""#),
        ("resources", "[]"),
        ("detail", DETAIL),
    ]
    .iter()
    .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
    .collect();
    for (key, value) in overrides {
        match (fields.iter().position(|(name, _)| name == key), value) {
            (Some(at), Some(value)) => fields[at].1 = (*value).to_owned(),
            (Some(at), None) => {
                fields.remove(at);
            }
            (None, Some(value)) => fields.push(((*key).to_owned(), (*value).to_owned())),
            (None, None) => {}
        }
    }
    let body: Vec<String> = fields
        .iter()
        .map(|(key, value)| format!("\"{key}\":{value}"))
        .collect();
    format!("{{{}}}", body.join(","))
}

/// Payloads covering each field's forms, orders, extra fields, bad JSON and other types.
fn payloads() -> Vec<String> {
    let mut payloads = vec![event(&[])];
    let string_forms = [
        r#""plain""#,
        r#""with \"quotes\" and \\ and \/""#,
        r#""\u00e9t\u00e9 \ud83d\ude00""#,
        r#""\ud800""#,
        r#""raw	tab""#,
        r#""é 😀""#,
        "null",
        "7",
        "[]",
        "{}",
        "true",
    ];
    for key in [
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "region",
        "replay-name",
    ] {
        payloads.push(event(&[(key, None)]));
        for form in string_forms {
            payloads.push(event(&[(key, Some(form))]));
        }
    }
    payloads.push(event(&[("source", Some(r#""com.ecommerce\u002eorders""#))]));
    payloads.push(event(&[("detail-type", Some(r#""Order\u0043reated""#))]));
    payloads.push(event(&[("source", Some(r#""aws.ec2""#))]));
    payloads.push(event(&[
        ("source", Some(r#""aws.ec2""#)),
        (
            "detail-type",
            Some(r#""EC2 Instance State-change Notification""#),
        ),
        ("detail", Some(r#"{"instance-id":"i-1","state":"stopped"}"#)),
    ]));
    payloads.push(event(&[
        ("source", Some(r#""aws.cleanrooms""#)),
        ("detail-type", Some(r#""Some Future Type""#)),
        ("detail", Some(r#"{"anything":[1,2,{"x":null}]}"#)),
    ]));
    for time in [
        "2023-10-27T10:00:00Z",
        "2023-10-27T10:00:00.123Z",
        "2023-10-27T10:00:00+02:00",
        "2023-10-27t10:00:00z",
        "2023-02-30T10:00:00Z",
        "2023-02-28T24:00:00Z",
        "2016-12-31T23:59:60Z",
        "0999-01-01T00:00:00Z",
        "2023-10-27T10:00:00",
        "2023-1a-27T10:00:00Z",
        "",
        r"2023\u002d10-27T10:00:00Z",
    ] {
        payloads.push(event(&[("time", Some(&format!("\"{time}\"")))]));
    }
    payloads.push(event(&[("time", None)]));
    payloads.push(event(&[("time", Some("null"))]));
    payloads.push(event(&[("time", Some("1698400800"))]));
    for resources in [
        "null",
        r#"["arn:aws:x"]"#,
        r#"["a","b\"c"]"#,
        "[1]",
        r#"["a",null]"#,
        r#""a""#,
        "[",
    ] {
        payloads.push(event(&[("resources", Some(resources))]));
    }
    payloads.push(event(&[("resources", None)]));
    for detail in [
        "null",
        "[]",
        r#"[{"order_id":"o"}]"#,
        r#""text""#,
        "3",
        "true",
        "{}",
        r#"{"order_id":7}"#,
        r#"{"order_id":"o-1","customer_email":"c@e.example","items":[{"sku":"A","quantity":"2"}],"timestamp":"2023-10-27T10:00:00Z"}"#,
        r#"{"order_id":"o-1","customer_email":"c@e.example","items":[],"timestamp":"2023-10-27T10:00:00Z","total":12.5,"currency":"EUR","extra":{"deep":[[[]]]}}"#,
        r#"{ "order_id" : "o-1" , "customer_email" : "c@e.example" , "items" : [ ] , "timestamp" : "2023-10-27T10:00:00Z" }"#,
        r#"{"order_id":"o-1","order_id":"o-2","customer_email":"c@e.example","items":[],"timestamp":"2023-10-27T10:00:00Z"}"#,
        r#"{"order_id":"o-\u00e9","customer_email":"c@e.example","items":[],"timestamp":"2023-10-27T10:00:00Z"}"#,
    ] {
        payloads.push(event(&[("detail", Some(detail))]));
    }
    payloads.push(event(&[("detail", None)]));
    for extra in [
        r#"{"a":[1,2,{"b":null}],"c":"\u00e9\n"}"#,
        "-1.5e-3",
        "0",
        "-0",
        "1E+2",
        "01",
        "1.",
        "-",
        "1e",
        ".5",
        "tru",
        "nul",
        "true",
        "false",
        "[]",
        "{}",
        r#""\x""#,
        r#""\u12""#,
        r#"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"#,
    ] {
        payloads.push(event(&[("extra", Some(extra))]));
    }
    // Repeated fields, `Records`, field orders.
    payloads.push(format!("{{\"id\":\"e-0\",{}", &event(&[])[1..]));
    payloads.push(format!("{{\"detail\":{DETAIL},{}", &event(&[])[1..]));
    payloads.push(format!("{{\"Records\":null,{}", &event(&[])[1..]));
    payloads.push(format!("{{\"Records\":[],{}", &event(&[])[1..]));
    let sorted: Value = serde_json::from_str(&event(&[])).unwrap();
    payloads.push(sorted.to_string());
    payloads.push(serde_json::to_string_pretty(&sorted).unwrap());
    payloads.push(event(&[("detail", None), ("detail", Some(DETAIL))]));
    payloads.push(format!(
        "{{\"detail\":{DETAIL},\"source\":\"com.ecommerce.orders\",\"detail-type\":\"OrderCreated\",\"id\":\"e-1\"}}"
    ));
    payloads.push(
        r#"{"detail":{"instance-id":"i-1","state":"stopped"},"source":"aws.ec2","detail-type":"EC2 Instance State-change Notification"}"#
            .to_owned(),
    );
    // Whitespace, and what is not an envelope.
    payloads.push(event(&[]).replace(',', " ,\n\t").replace(':', " : "));
    payloads.push(format!(" \r\n{} \n", event(&[])));
    for other in [
        "",
        " ",
        "{",
        "}",
        "[]",
        "null",
        "\"text\"",
        "12",
        "{}",
        "{,}",
        "{\"id\":}",
        "{\"id\" \"e\"}",
    ] {
        payloads.push(other.to_owned());
    }
    payloads.push(format!("{} x", event(&[])));
    payloads.push(format!("{}{{}}", event(&[])));
    payloads.push(event(&[]).replacen('}', "", 1));
    payloads
}

#[test]
fn direct_payloads_are_read_by_serde_json() {
    for payload in payloads() {
        assert!(sqs::read_batch(&payload).is_none(), "{payload}");
        assert_same_payload_all_types(&payload);
    }
    let event = decode_str::<OrderCreated>(&event(&[])).unwrap();
    assert_eq!(event.detail.items.len(), 2);
    assert_eq!(event.time, Some("2023-10-27T10:00:00Z".parse().unwrap()));
}

#[test]
fn the_sample_events_decode_the_same_way() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../events");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "json") {
            let text = std::fs::read_to_string(&path).unwrap();
            assert_same_payload_all_types(&text);
            let body = serde_json::to_string(&text).unwrap();
            assert_same_payload_all_types(&sqs(&[record(&body)]));
        }
    }
}

#[test]
fn fast_timestamps_are_the_rfc3339_parser_s() {
    for text in [
        "2023-10-27T10:00:00Z",
        "1970-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "2024-02-29T12:34:56Z",
        "2023-02-29T12:34:56Z",
        "2016-12-31T23:59:60Z",
        "2023-10-27T10:00:00z",
        "2023-10-27 10:00:00Z",
        "2023-10-27T10:00:0Z",
        "2023-10-27T10:00:00.5Z",
        "+023-10-27T10:00:00Z",
        "1000-01-01T00:00:00Z",
    ] {
        let rfc3339 = DateTime::parse_from_rfc3339(text)
            .map(|at| at.with_timezone(&Utc))
            .ok();
        if let Some(fast) = parse_time_utc_seconds(text) {
            assert_eq!(Some(fast), rfc3339, "{text}");
        }
        assert_eq!(parse_time(text).ok(), rfc3339, "{text}");
    }
}

/// A payload's outcome in comparable form: one event, or each record's parts.
fn payload_outcome<T: Detail + Debug>(payload: Payload<'_, T>) -> String {
    match payload {
        Payload::Direct(result) => format!("direct {}", outcome(&result)),
        Payload::Batch(batch) => batch
            .messages
            .iter()
            .map(|message| {
                format!(
                    "record {:?} {:?} {:?}\n",
                    message.message_id,
                    message.event_source_arn,
                    batch
                        .body(message)
                        .map(|body| outcome(&reference::<T>(body)))
                )
            })
            .collect(),
        Payload::CustomBus(records) => format!("custom bus {} records", records.len()),
    }
}

/// The original reading of a Lambda payload: the envelope with `Records`, each body two-step;
/// an array (a Custom Event Bus delivery) read as its records, or its JSON error.
fn reference_payload<T: Detail + Debug>(text: &str) -> String {
    if text
        .trim_start_matches([' ', '\n', '\r', '\t'])
        .starts_with('[')
    {
        return match serde_json::from_str::<Vec<serde_json::Value>>(text) {
            Ok(records) => format!("custom bus {} records", records.len()),
            Err(error) => format!("direct {}", outcome::<T>(&Err(DecodeError::Json(error)))),
        };
    }
    match read_envelope_str(text) {
        Err(error) => format!("direct {}", outcome::<T>(&Err(error))),
        Ok(mut envelope) => match envelope.records.take() {
            None if envelope.custom_bus_data.is_some() && envelope.custom_bus_system.is_some() => {
                "custom bus 1 records".to_owned()
            }
            None => format!("direct {}", outcome(&finish::<T>(envelope))),
            Some(records) => records
                .iter()
                .map(|record| {
                    format!(
                        "record {:?} {:?} {:?}\n",
                        record.message_id,
                        record.event_source_arn,
                        record
                            .body
                            .as_deref()
                            .map(|body| outcome(&reference::<T>(body)))
                    )
                })
                .collect(),
        },
    }
}

fn assert_same_payload<T: Detail + Debug>(text: &str) {
    assert_eq!(
        payload_outcome(decode_payload::<T>(text.as_bytes())),
        reference_payload::<T>(text),
        "payload: {text}"
    );
}

fn assert_same_payload_all_types(text: &str) {
    assert_same_payload::<OrderCreated>(text);
    assert_same_payload::<InstanceStateChange>(text);
    assert_same_payload::<CleanRoomsEvent>(text);
    assert_same_payload::<Value>(text);
}

fn sqs(records: &[String]) -> String {
    format!("{{\"Records\":[{}]}}", records.join(","))
}

fn record(body: &str) -> String {
    format!(
        r#"{{"messageId":"m-1","receiptHandle":"AQEB","body":{body},"attributes":{{"ApproximateReceiveCount":"1","SentTimestamp":"1545082649183"}},"messageAttributes":{{}},"md5OfBody":"e4e68fb7bd0e697a0ae8f1bb342846b3","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:123456789012:queue","awsRegion":"us-east-1"}}"#
    )
}

#[test]
fn sqs_batches_read_in_one_pass_give_the_serde_result() {
    let mut batches = Vec::new();
    // Every direct payload above as a body, and as a body of its own escaped form.
    for payload in payloads() {
        let body = serde_json::to_string(&payload).unwrap();
        batches.push(sqs(&[record(&body)]));
        batches.push(sqs(&[record(&body.replace('/', "\\/"))]));
    }
    let body = serde_json::to_string(&event(&[])).unwrap();
    let pretty = serde_json::to_string(
        &serde_json::to_string_pretty(&serde_json::from_str::<Value>(&event(&[])).unwrap())
            .unwrap(),
    )
    .unwrap();
    batches.push(sqs(&[]));
    batches.push(sqs(&[record(&body), record(&pretty), record("null")]));
    batches.push(sqs(&(0..12).map(|_| record(&body)).collect::<Vec<_>>()));
    for body in [
        "null",
        "7",
        "{}",
        "[]",
        r#""""#,
        r#""{\u0022id\u0022:1}""#,
        r#""\ud800""#,
        r#""\udc00\ud800""#,
        r#""\ud83d\ude00""#,
        r#""\ud83d\u0041""#,
        r#""\x""#,
        r#""\u00""#,
        "\"raw\ttab\"",
        "\"unterminated",
    ] {
        batches.push(sqs(&[record(body)]));
    }
    batches.push(sqs(&[
        record(&body).replace("\"body\":", "\"other\":1,\"body\":")
    ]));
    batches.push(sqs(&[record(&body).replacen(
        "\"messageId\":\"m-1\",",
        "",
        1,
    )]));
    for id in ["null", "1", r#""m\u002d1""#, r#""m\"1""#, r#""\ud800""#] {
        batches.push(sqs(&[record(&body).replacen(r#""m-1""#, id, 1)]));
    }
    batches.push(sqs(&[record(&body).replacen(
        r#""messageId":"m-1","#,
        r#""messageId":"m-1","messageId":"m-2","#,
        1,
    )]));
    batches.push(sqs(&[record(&body).replacen(
        r#""eventSourceARN":"arn:aws:sqs:us-east-1:123456789012:queue""#,
        r#""eventSourceARN":"arn:aws:sqs:us-east-1:123456789012:q\u002efifo""#,
        1,
    )]));
    batches.push(sqs(&[record(&body).replacen(
        r#""awsRegion":"us-east-1""#,
        r#""awsRegion":"us-east-1","deep":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"#,
        1,
    )]));
    let one = sqs(&[record(&body)]);
    batches.push(one.replace("{\"Records\"", "{\"Records\":null,\"Records\""));
    batches.push(one.replace("{\"Records\"", "{\"source\":\"x\",\"Records\""));
    batches.push(
        one.replacen('}', ",\"source\":\"x\"}", 1)
            .replace("]}", "],\"x\":1}"),
    );
    batches.push(format!("{one} "));
    batches.push(format!("{one}x"));
    batches.push(one.replace(':', " : ").replace(',', " ,\n"));
    batches.push(
        one.replace("{\"Records\":[", "{\"Records\":[ ")
            .replace("]}", " ] }"),
    );
    batches.push("{\"Records\":null}".to_owned());
    batches.push("{\"Records\":[1]}".to_owned());
    batches.push("{\"Records\":[{}]}".to_owned());
    batches.push("{\"Records\":[[\"m\",\"{}\",\"arn\"]]}".to_owned());
    batches.push("{\"Records\":{}}".to_owned());
    for batch in &batches {
        assert_same_payload::<OrderCreated>(batch);
        assert_same_payload::<Value>(batch);
    }
    assert!(sqs::read_batch(&one).is_some());
}

/// A small deterministic generator (xorshift), for the random strings below.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_bodies_are_unescaped_as_serde_json_unescapes_them() {
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    let pieces = [
        "a",
        "bc",
        "0123456789",
        " ",
        "\"",
        "\\",
        "/",
        "\n",
        "\t",
        "\u{1}",
        "\u{1f}",
        "é",
        "😀",
        "{\"k\":\"v\"}",
    ];
    let escapes = [
        "\\\"",
        "\\\\",
        "\\/",
        "\\b",
        "\\f",
        "\\n",
        "\\r",
        "\\t",
        "\\u0041",
        "\\u00e9",
        "\\ud83d\\ude00",
        "\\ud800",
        "\\udc00",
        "\\ud800\\u0041",
        "\\x",
        "\\u12g4",
        "\"",
        "\t",
        "\u{0}",
        "é",
        "abcdefgh",
        "xyz",
    ];
    for _ in 0..2000 {
        // A string serde_json escapes itself…
        let text: String = (0..random.below(40))
            .map(|_| pieces[random.below(pieces.len())])
            .collect();
        let token = serde_json::to_string(&text).unwrap();
        let payload = sqs(&[record(&token)]);
        let batch = sqs::read_batch(&payload).expect("a valid batch");
        assert_eq!(batch.body(&batch.messages[0]), Some(text.as_str()));
        // …and a token of random escapes, valid or not.
        let raw: String = (0..random.below(40))
            .map(|_| escapes[random.below(escapes.len())])
            .collect();
        let token = format!("\"{raw}\"");
        let payload = sqs(&[record(&token)]);
        match (
            sqs::read_batch(&payload),
            serde_json::from_str::<String>(&token),
        ) {
            (Some(batch), Ok(text)) => {
                assert_eq!(
                    batch.body(&batch.messages[0]),
                    Some(text.as_str()),
                    "{token}"
                );
            }
            (None, _) => {}
            (Some(_), Err(error)) => panic!("{token}: accepted, but serde_json says {error}"),
        }
        assert_same_payload::<OrderCreated>(&payload);
    }
}

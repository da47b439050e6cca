//! Lambda payloads through the dispatcher (delivery mode, SQS batch reading, body unescaping,
//! per-record decoding) against the plain serde_json decoding of the same payload.
//!
//! Two detail types: `serde_json::Value` (every event is accepted and its whole detail decoded,
//! so a body unescaped wrongly shows in the event) and `OrderCreated` (the type the shipping
//! queue's consumer reads). The other types' decoding of a body is `decode_event`'s, which
//! `direct_event` covers.
//!
//! Input: a first byte `0` and a whole payload as written (a direct event, an SQS event with its
//! escapes as they come); or a first byte `1` (`2` for a FIFO queue) and message bodies
//! separated by byte 0xFF, written into an SQS event by serde_json (so each body's quotes,
//! backslashes and control characters arrive escaped). Any other first byte is ignored.
#![no_main]

use eventbridge_lambda::OrderCreated;
use eventbridge_lambda_fuzz::{check_dispatch, sqs_event};
use libfuzzer_sys::fuzz_target;

fn check_all(payload: &[u8]) {
    check_dispatch::<serde_json::Value>(payload);
    check_dispatch::<OrderCreated>(payload);
}

fuzz_target!(|input: &[u8]| {
    let Some((&mode, rest)) = input.split_first() else {
        return;
    };
    match mode {
        0 => check_all(rest),
        1 | 2 => {
            let bodies: Vec<String> = rest
                .split(|&byte| byte == 0xFF)
                .map(|body| String::from_utf8_lossy(body).into_owned())
                .collect();
            let bodies: Vec<&str> = bodies.iter().map(String::as_str).collect();
            check_all(&sqs_event(&bodies, mode == 2));
        }
        _ => {}
    }
});

//! The plain decoding that the fuzz targets hold the crate's decoders to.
//!
//! Built here from the crate's public API ([`Detail`], [`Event`]) and serde_json alone, as the
//! crate documents its decoding (`eventbridge_lambda::decode`): the payload must be UTF-8; the
//! envelope is read first, every field optional and the detail kept as raw JSON; then
//! `detail-type`, `source` and `detail` must be present, `time` must be RFC 3339, `detail` must be
//! a JSON object, the detail type must accept `source` and `detail-type`, and only then is the
//! detail decoded with [`Detail::decode`]. An SQS event is an object with `Records`; each
//! record's `body` is an event decoded the same way.
#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, Utc};
use eventbridge_lambda::{Context, Detail, Dispatcher, Event, MemoryStore};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::HashSet;
use std::fmt::Debug;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// One SQS message, as far as the dispatcher reads it.
#[derive(Deserialize)]
pub struct Record {
    /// `messageId`.
    #[serde(default, rename = "messageId")]
    pub message_id: Option<String>,
    /// `body`: the event as a JSON string.
    #[serde(default)]
    pub body: Option<String>,
    /// `eventSourceARN`.
    #[serde(default, rename = "eventSourceARN")]
    pub event_source_arn: Option<String>,
}

/// The envelope, every field optional, `detail` unparsed; `Records` when it is an SQS event.
/// (Field order matters: serde also reads a struct from a JSON array, in this order.)
#[derive(Deserialize)]
pub struct Envelope<'a> {
    /// An SQS event's records.
    #[serde(default, rename = "Records")]
    pub records: Option<Vec<Record>>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default, rename = "detail-type")]
    detail_type: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    time: Option<String>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default, rename = "replay-name")]
    replay_name: Option<String>,
    #[serde(default)]
    resources: Option<Vec<String>>,
    #[serde(default, borrow)]
    detail: Option<&'a RawValue>,
    /// `Data` of a Custom Event Bus `WITH_METADATA` record.
    #[serde(default, rename = "Data", borrow)]
    custom_bus_data: Option<&'a RawValue>,
    /// `SystemMetadata` of such a record.
    #[serde(default, rename = "SystemMetadata", borrow)]
    custom_bus_system: Option<&'a RawValue>,
}

/// Whether the dispatcher reads `payload` as a Custom Event Bus delivery: a JSON array, or an
/// object with `Data` and `SystemMetadata` (and no `Records`). That mode is not modelled by
/// [`plain_dispatch`]; `shared/tests/custom_bus.rs` tests it.
pub fn is_custom_bus_delivery(payload: &[u8]) -> bool {
    let starts_array = std::str::from_utf8(payload).is_ok_and(|text| {
        text.trim_start_matches([' ', '\n', '\r', '\t'])
            .starts_with('[')
    });
    starts_array
        || envelope(payload).is_some_and(|envelope| {
            envelope.records.is_none()
                && envelope.custom_bus_data.is_some()
                && envelope.custom_bus_system.is_some()
        })
}

/// Reads the envelope of a payload; `None` when it is not one (not UTF-8, not JSON, wrong types).
pub fn envelope(payload: &[u8]) -> Option<Envelope<'_>> {
    serde_json::from_str(std::str::from_utf8(payload).ok()?).ok()
}

/// The event of an envelope read by [`envelope`] (its `Records` ignored); `None` for any error.
pub fn event<T: Detail>(envelope: Envelope<'_>) -> Option<Event<T>> {
    let detail_type = envelope.detail_type?;
    let source = envelope.source?;
    let detail = envelope.detail?;
    let time = match envelope.time {
        None => None,
        Some(text) => Some(
            DateTime::parse_from_rfc3339(&text)
                .ok()?
                .with_timezone(&Utc),
        ),
    };
    if !detail.get().starts_with('{') || !T::accepts(&source, &detail_type) {
        return None;
    }
    let detail = T::decode(&source, &detail_type, detail).ok()?;
    Some(Event {
        version: envelope.version.unwrap_or_else(|| "0".to_owned()),
        id: envelope.id,
        detail_type,
        source,
        account: envelope.account,
        time,
        region: envelope.region,
        replay_name: envelope.replay_name,
        resources: envelope.resources.unwrap_or_default(),
        detail,
        custom_bus: None,
    })
}

/// The plain decoding of one event: `None` where the crate must give an error.
pub fn decode<T: Detail>(payload: &[u8]) -> Option<Event<T>> {
    event(envelope(payload)?)
}

/// Panics when the crate's decoding of `payload` differs from [`decode`]: in success versus error,
/// or in the event.
pub fn check_direct<T: Detail + PartialEq + Debug>(payload: &[u8]) {
    let fast = eventbridge_lambda::decode::decode_event::<T>(payload).ok();
    let plain = decode::<T>(payload);
    assert_eq!(
        fast,
        plain,
        "{}: decode_event differs from the plain decoding of {:?}",
        std::any::type_name::<T>(),
        String::from_utf8_lossy(payload)
    );
}

/// What one invocation of a dispatcher did, in comparable form.
#[derive(Debug, PartialEq)]
pub struct Invocation<T> {
    /// The events the handler was called with, in order.
    pub handled: Vec<Event<T>>,
    /// `Ok` with the `messageId`s of `batchItemFailures` (an SQS event), or the empty list (a
    /// direct event); `Err` with the error type of a failed invocation.
    pub response: Result<Vec<String>, String>,
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime")
    })
}

/// Runs `payload` through a fresh [`Dispatcher`] (in-memory de-duplication, with room for more
/// events than an input of the fuzzer's `-max_len` can hold) whose handler records every event
/// and succeeds.
pub fn dispatch<T: Detail>(payload: &[u8]) -> Invocation<T> {
    let handled = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&handled);
    let dispatcher = Dispatcher::new(move |event: Event<T>, _: Context| {
        seen.lock().unwrap().push(event);
        async { Ok::<(), std::convert::Infallible>(()) }
    })
    .with_store(Arc::new(MemoryStore::new(256, Duration::from_secs(3600))));
    let response = runtime()
        .block_on(dispatcher.invoke(payload, Context::default()))
        .map(|response| {
            let value = serde_json::to_value(&response).unwrap();
            value
                .get("batchItemFailures")
                .and_then(|failures| failures.as_array())
                .map(|failures| {
                    failures
                        .iter()
                        .map(|failure| failure["itemIdentifier"].as_str().unwrap().to_owned())
                        .collect()
                })
                .unwrap_or_default()
        })
        .map_err(|error| error.error_type().to_owned());
    drop(dispatcher);
    let handled = std::mem::take(&mut *handled.lock().unwrap());
    Invocation { handled, response }
}

/// What [`dispatch`] must report, from the plain decoding: records in order; a record without
/// `messageId` fails the whole batch before anything runs; a record without a body or whose body
/// is not an accepted event is a batch item failure, and after one, a FIFO queue's later records
/// fail too; an event whose id was handled before is a duplicate (the handler is skipped).
pub fn plain_dispatch<T: Detail>(payload: &[u8]) -> Invocation<T> {
    let mut handled = Vec::new();
    let Some(mut envelope) = envelope(payload) else {
        return Invocation {
            handled,
            response: Err("EventDecodeError".to_owned()),
        };
    };
    let Some(records) = envelope.records.take() else {
        let response = match event::<T>(envelope) {
            Some(event) => {
                handled.push(event);
                Ok(Vec::new())
            }
            None => Err("EventDecodeError".to_owned()),
        };
        return Invocation { handled, response };
    };
    if records.iter().any(|record| record.message_id.is_none()) {
        return Invocation {
            handled,
            response: Err("SqsRecordWithoutId".to_owned()),
        };
    }
    let mut failures = Vec::new();
    let mut ids = HashSet::new();
    let mut fifo_blocked = false;
    let count = records.len();
    for record in records {
        let message_id = record.message_id.unwrap_or_default();
        if fifo_blocked {
            failures.push(message_id);
            continue;
        }
        match record
            .body
            .as_deref()
            .and_then(|body| decode::<T>(body.as_bytes()))
        {
            Some(event) => {
                let first = match &event.id {
                    Some(id) => ids.insert(id.clone()),
                    None => true,
                };
                if first {
                    handled.push(event);
                }
            }
            None => {
                failures.push(message_id);
                fifo_blocked = record
                    .event_source_arn
                    .as_deref()
                    .is_some_and(|arn| arn.ends_with(".fifo"));
            }
        }
    }
    // Every record failed: the invocation fails, so that the messages are redelivered even
    // through a mapping without ReportBatchItemFailures.
    if count > 0 && failures.len() == count {
        return Invocation {
            handled,
            response: Err("SqsBatchFailed".to_owned()),
        };
    }
    Invocation {
        handled,
        response: Ok(failures),
    }
}

/// Panics when the dispatcher's reading of `payload` differs from [`plain_dispatch`].
/// Custom Event Bus deliveries ([`is_custom_bus_delivery`]) are skipped.
pub fn check_dispatch<T: Detail + PartialEq + Debug>(payload: &[u8]) {
    if is_custom_bus_delivery(payload) {
        return;
    }
    assert_eq!(
        dispatch::<T>(payload),
        plain_dispatch::<T>(payload),
        "{}: the dispatcher differs from the plain decoding of {:?}",
        std::any::type_name::<T>(),
        String::from_utf8_lossy(payload)
    );
}

/// An SQS event whose bodies are `bodies` (each written as a JSON string, escaped by serde_json),
/// in the fields and order Lambda delivers.
pub fn sqs_event(bodies: &[&str], fifo: bool) -> Vec<u8> {
    let arn = if fifo {
        "arn:aws:sqs:us-east-1:123456789012:queue.fifo"
    } else {
        "arn:aws:sqs:us-east-1:123456789012:queue"
    };
    let records: Vec<String> = bodies
        .iter()
        .enumerate()
        .map(|(index, body)| {
            format!(
                r#"{{"messageId":"m-{index}","receiptHandle":"AQEB","body":{},"attributes":{{"ApproximateReceiveCount":"1"}},"messageAttributes":{{}},"md5OfBody":"0","eventSource":"aws:sqs","eventSourceARN":"{arn}","awsRegion":"us-east-1"}}"#,
                serde_json::to_string(body).unwrap()
            )
        })
        .collect();
    format!(r#"{{"Records":[{}]}}"#, records.join(",")).into_bytes()
}

//! The Custom Event Bus publisher (feature `publish-v2`) through the real `aws-sdk-eventbridgev2`
//! client against the fault-injecting server, which speaks the API's `rpc-v2-cbor` protocol.
//!
//! moto has no `eventsv2` service (no module or route for it in the installed moto), so unlike the
//! Classic publisher this one is tested against the fault server only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use aws_sdk_eventbridgev2::Client;
use common::{order, order_id};
use eventbridge_lambda::publish::custom_bus::{CustomBusEntry, CustomBusPublisher};
use eventbridge_lambda::publish::{Delivery, FailureClass, NO_ANSWER, PublishError, RetryPolicy};
use eventbridge_lambda::retry::Deadline;
use eventbridge_lambda_testing::fault::{FaultServer, Request, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BUS: &str =
    "arn:aws:events:us-east-1:123456789012:event-busv2/orders/a1b2c3d4e5f6a7b8c9d0e1f2a";

/// A client with the SDK's own retries off, so every attempt is the publisher's and countable.
async fn client(endpoint: &str) -> Client {
    Client::new(&common::single_attempt_config(endpoint).await)
}

fn fast_retry() -> RetryPolicy {
    common::fast_retry(5, Duration::from_millis(10))
}

/// The operation a request calls (`POST /service/<service>/operation/<Operation>`).
fn operation(request: &Request) -> &str {
    request
        .line
        .split_whitespace()
        .nth(1)
        .and_then(|path| path.rsplit('/').next())
        .unwrap_or_default()
}

fn body(request: &Request) -> Value {
    ciborium::from_reader(request.body.as_slice()).unwrap()
}

/// An rpc-v2-cbor answer.
fn cbor(status: u16, value: &Value) -> Response {
    let mut body = Vec::new();
    ciborium::into_writer(value, &mut body).unwrap();
    Response {
        status,
        headers: vec![
            ("content-type".into(), "application/cbor".into()),
            ("smithy-protocol".into(), "rpc-v2-cbor".into()),
        ],
        body,
        delay: Duration::ZERO,
    }
}

fn cbor_error(status: u16, code: &str, message: &str) -> Response {
    cbor(status, &json!({"__type": code, "message": message}))
}

fn published(entry: &Value) -> Value {
    let id = order_id(entry);
    json!({"EventId": format!("bus-{id}"), "SequenceNumber": format!("1000000000000000{}", &id[2..]), "SuccessCode": "PUBLISHED"})
}

/// Answers DescribeEventBus for `BUS`, and every PutEvents entry with
/// `answer(entry, how many times its order was sent)`.
fn server(answer: impl Fn(&Value, usize) -> Value + Send + Sync + 'static) -> FaultServer {
    let sends = Mutex::default();
    FaultServer::start(move |request| match operation(request) {
        "DescribeEventBus" => cbor(200, &json!({"Name": "orders", "Arn": BUS})),
        "PutEvents" => {
            let entries = body(request)["Entries"].as_array().unwrap().clone();
            cbor(200, &common::answer_entries(&entries, &sends, &answer))
        }
        other => cbor_error(400, "InvalidInputException", &format!("unexpected {other}")),
    })
    .unwrap()
}

fn put_events(server: &FaultServer) -> Vec<Value> {
    server
        .requests()
        .iter()
        .filter(|request| operation(request) == "PutEvents")
        .map(body)
        .collect()
}

async fn publisher(server: &FaultServer) -> CustomBusPublisher {
    CustomBusPublisher::new(client(&server.endpoint()).await, BUS)
        .await
        .unwrap()
        .with_retry(fast_retry())
}

#[tokio::test]
async fn groups_and_dedup_ids_are_sent_in_calls_of_a_hundred() {
    let server = server(|entry, _| published(entry));
    let publisher = publisher(&server).await;
    let entries: Vec<CustomBusEntry> = (0..150)
        .map(|n| {
            let entry = CustomBusEntry::new(&order(n)).unwrap();
            if n % 2 == 0 {
                entry
                    .in_group(format!("group-{}", n % 3))
                    .with_deduplication_id(format!("dedup-{n}"))
            } else {
                entry
            }
        })
        .collect();
    let report = publisher.publish(&entries).await.unwrap();
    assert!(report.all_delivered(), "{report:?}");
    assert_eq!(report.report.calls, 2);
    assert_eq!(report.deduplicated(), 0);
    let requests = put_events(&server);
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0]["Entries"].as_array().unwrap().len(), 100);
    assert_eq!(requests[1]["Entries"].as_array().unwrap().len(), 50);
    assert!(requests.iter().all(|request| request["EventBusArn"] == BUS));
    assert!(
        requests[0].get("DeduplicationConfiguration").is_none(),
        "content-based de-duplication is opt-in"
    );
    let sent: Vec<&Value> = requests
        .iter()
        .flat_map(|request| request["Entries"].as_array().unwrap())
        .collect();
    for (n, entry) in sent.iter().enumerate() {
        assert_eq!(order_id(entry), format!("o-{n}"), "input order is kept");
        assert_eq!(entry["Source"], "com.ecommerce.orders");
        assert_eq!(entry["DetailType"], "OrderCreated");
        if n % 2 == 0 {
            assert_eq!(
                entry["SystemMetadata"],
                json!({"EventGroupId": format!("group-{}", n % 3), "DeduplicationId": format!("dedup-{n}")})
            );
        } else {
            assert!(entry.get("SystemMetadata").is_none(), "{entry}");
        }
    }
    assert_eq!(
        report.report.deliveries[7],
        Delivery::Delivered {
            event_id: "bus-o-7".into(),
            attempts: 1
        }
    );
    let seventh = report.published[7].as_ref().unwrap();
    assert_eq!(
        seventh.sequence_number.as_deref(),
        Some("10000000000000007")
    );
    assert!(!seventh.deduplicated);
}

#[tokio::test]
async fn deduplicated_entries_count_as_delivered() {
    let server = server(|entry, _| {
        if entry["SystemMetadata"]["DeduplicationId"] == "seen-before" {
            json!({"SuccessCode": "DEDUPLICATED"})
        } else {
            published(entry)
        }
    });
    let publisher = publisher(&server).await.with_content_based_deduplication();
    let entries = [
        CustomBusEntry::new(&order(1))
            .unwrap()
            .with_deduplication_id("seen-before"),
        CustomBusEntry::new(&order(2)).unwrap(),
    ];
    let report = publisher.publish(&entries).await.unwrap();
    assert!(report.all_delivered(), "{report:?}");
    assert_eq!(report.deduplicated(), 1);
    assert!(report.published[0].as_ref().unwrap().deduplicated);
    assert!(!report.published[1].as_ref().unwrap().deduplicated);
    assert_eq!(
        report.report.deliveries[0],
        Delivery::Delivered {
            event_id: String::new(),
            attempts: 1
        },
        "the answer named no event"
    );
    assert_eq!(
        put_events(&server)[0]["DeduplicationConfiguration"],
        json!({"DeduplicationType": "CONTENT_BASED"})
    );
}

#[tokio::test]
async fn per_entry_failures_are_retried_or_classified() {
    // o-1: InternalFailure once; o-2: ThrottlingException twice; o-3: MalformedDetail;
    // o-4: AccessDeniedException; o-5: no result in the answer.
    let server = FaultServer::start({
        let sends: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        move |request| match operation(request) {
            "DescribeEventBus" => cbor(200, &json!({"Name": "orders", "Arn": BUS})),
            _ => {
                let results: Vec<Value> = body(request)["Entries"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|entry| order_id(entry) != "o-5")
                    .map(|entry| {
                        let id = order_id(entry);
                        let mut sends = sends.lock().unwrap();
                        let seen = sends.entry(id.clone()).or_insert(0);
                        *seen += 1;
                        let error = |code: &str| json!({"ErrorCode": code, "ErrorMessage": format!("{code} for {id}")});
                        match (id.as_str(), *seen) {
                            ("o-1", 1) => error("InternalFailure"),
                            ("o-2", 1 | 2) => error("ThrottlingException"),
                            ("o-3", _) => error("MalformedDetail"),
                            ("o-4", _) => error("AccessDeniedException"),
                            _ => published(entry),
                        }
                    })
                    .collect();
                cbor(200, &json!({"FailedEntryCount": 0, "Entries": results}))
            }
        }
    })
    .unwrap();
    let publisher = publisher(&server).await;
    let entries: Vec<CustomBusEntry> = (1..=5)
        .map(|n| CustomBusEntry::new(&order(n)).unwrap().in_group("g"))
        .collect();
    let report = publisher.publish(&entries).await.unwrap();
    let outcome: Vec<(Option<FailureClass>, u32)> = report
        .report
        .deliveries
        .iter()
        .map(|delivery| match delivery {
            Delivery::Delivered { attempts, .. } => (None, *attempts),
            Delivery::Failed {
                class, attempts, ..
            } => (Some(*class), *attempts),
        })
        .collect();
    assert_eq!(
        outcome,
        [
            (None, 2),
            (None, 3),
            (Some(FailureClass::EventRejected), 1),
            (Some(FailureClass::NotPermitted), 1),
            (Some(FailureClass::UnknownOutcome), 1),
        ]
    );
    assert!(report.published[2].is_none());
}

#[tokio::test]
async fn request_level_failures_are_retried_or_permanent() {
    let calls = Arc::new(Mutex::new(0usize));
    let counter = Arc::clone(&calls);
    let server = FaultServer::start(move |request| {
        if operation(request) == "DescribeEventBus" {
            return cbor(200, &json!({"Name": "orders", "Arn": BUS}));
        }
        let mut calls = counter.lock().unwrap();
        *calls += 1;
        let entries = body(request)["Entries"].as_array().unwrap().clone();
        if order_id(&entries[0]) == "o-9" {
            return cbor_error(400, "InvalidInputException", "EventGroupId is not valid");
        }
        match *calls {
            1 => cbor_error(400, "ThrottlingException", "Rate exceeded"),
            2 => cbor_error(500, "InternalException", "boom"),
            _ => {
                let results: Vec<Value> = entries.iter().map(published).collect();
                cbor(200, &json!({"FailedEntryCount": 0, "Entries": results}))
            }
        }
    })
    .unwrap();
    let publisher = publisher(&server).await;
    let report = publisher
        .publish(&[CustomBusEntry::new(&order(1)).unwrap()])
        .await
        .unwrap();
    assert_eq!(
        report.report.deliveries[0],
        Delivery::Delivered {
            event_id: "bus-o-1".into(),
            attempts: 3
        }
    );
    let report = publisher
        .publish(&[CustomBusEntry::new(&order(9)).unwrap()])
        .await
        .unwrap();
    assert_eq!(
        common::failure(&report.report.deliveries[0]),
        (FailureClass::EventRejected, "InvalidInputException", 1)
    );
}

#[tokio::test]
async fn an_unanswered_request_ends_at_the_deadline_with_an_unknown_outcome() {
    let server = FaultServer::start(|request| match operation(request) {
        "DescribeEventBus" => cbor(200, &json!({"Name": "orders", "Arn": BUS})),
        _ => cbor(200, &json!({"FailedEntryCount": 0, "Entries": []}))
            .delayed(Duration::from_secs(3)),
    })
    .unwrap();
    let publisher = publisher(&server).await;
    let started = Instant::now();
    let report = publisher
        .publish_before(
            &[CustomBusEntry::new(&order(1)).unwrap()],
            Deadline::after(Duration::from_millis(300)),
        )
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    match &report.report.deliveries[0] {
        Delivery::Failed { class, code, .. } => {
            assert_eq!(*class, FailureClass::UnknownOutcome);
            assert_eq!(code, NO_ANSWER);
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn the_bus_is_checked_before_the_first_send() {
    let server = FaultServer::start(|request| match operation(request) {
        "DescribeEventBus" => cbor_error(400, "ResourceNotFoundException", "no such bus"),
        _ => cbor_error(500, "InternalException", "must not be called"),
    })
    .unwrap();
    let error = CustomBusPublisher::new(client(&server.endpoint()).await, BUS)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, PublishError::BusNotFound(bus) if bus == BUS),
        "{error}"
    );
    let denied =
        FaultServer::start(|_| cbor_error(400, "AccessDeniedException", "denied")).unwrap();
    let error = CustomBusPublisher::new(client(&denied.endpoint()).await, BUS)
        .await
        .unwrap_err();
    assert!(matches!(error, PublishError::BusCheck { .. }), "{error}");
    assert!(std::error::Error::source(&error).is_some());
    assert!(put_events(&server).is_empty() && put_events(&denied).is_empty());
}

#[tokio::test]
async fn invalid_group_or_dedup_ids_fail_before_anything_is_sent() {
    let server = server(|entry, _| published(entry));
    let publisher = publisher(&server).await;
    let entries = [
        CustomBusEntry::new(&order(1)).unwrap().in_group("fine"),
        CustomBusEntry::new(&order(2))
            .unwrap()
            .with_deduplication_id("x".repeat(129)),
    ];
    let error = publisher.publish(&entries).await.unwrap_err();
    assert!(
        matches!(
            error,
            PublishError::InvalidSystemId {
                index: 1,
                field: "DeduplicationId",
                length: 129
            }
        ),
        "{error}"
    );
    let error = publisher
        .publish(&[CustomBusEntry::new(&order(3)).unwrap().in_group("")])
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        PublishError::InvalidSystemId {
            field: "EventGroupId",
            ..
        }
    ));
    assert!(put_events(&server).is_empty());
}

/// Compiles only if publishing is a `Send` future, as a `#[handler]` needs.
#[allow(dead_code)]
fn publishing_is_send(publisher: &CustomBusPublisher, entries: &[CustomBusEntry]) {
    fn is_send<T: Send>(_: &T) {}
    is_send(&publisher.publish(entries));
    is_send(&publisher.publish_before(entries, Deadline::after(Duration::from_secs(1))));
}

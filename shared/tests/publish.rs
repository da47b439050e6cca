//! The typed publisher against a fault-injecting PutEvents/PutPartnerEvents server and moto.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::config::{Credentials, Region};
use common::{order, order_id};
use eventbridge_lambda::publish::partner::{SourceName, Sources};
use eventbridge_lambda::publish::{
    Delivery, Entry, FailureClass, PublishError, Publisher, RetryPolicy,
};
use eventbridge_lambda::retry::Deadline;
use eventbridge_lambda_testing::MotoServer;
use eventbridge_lambda_testing::fault::{FaultServer, Request, Response};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// A client with the SDK's own retries off, so every attempt is the publisher's and countable.
async fn client(endpoint: &str) -> Client {
    Client::new(&common::single_attempt_config(endpoint).await)
}

fn fast_retry() -> RetryPolicy {
    common::fast_retry(10, Duration::from_millis(20))
}

fn target(request: &Request) -> &str {
    request.header("x-amz-target").unwrap_or_default()
}

fn request_entries(request: &Request) -> Vec<Value> {
    serde_json::from_slice::<Value>(&request.body).unwrap()["Entries"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Answers DescribeEventBus for any bus, and Put(Partner)Events entries with `answer(entry, attempt)`.
fn server(answer: impl Fn(&Value, usize) -> Value + Send + Sync + 'static) -> FaultServer {
    let sends = std::sync::Mutex::default();
    FaultServer::start(move |request| {
        if target(request).ends_with("DescribeEventBus") {
            return Response::json(200, r#"{"Name":"orders","Arn":"arn:aws:events:us-east-1:123456789012:event-bus/orders"}"#);
        }
        let reply = common::answer_entries(&request_entries(request), &sends, &answer);
        Response::json(200, reply.to_string())
    })
    .unwrap()
}

fn accepted(entry: &Value) -> Value {
    json!({"EventId": format!("event-{}", order_id(entry))})
}

fn put_events_calls(server: &FaultServer) -> usize {
    server
        .requests()
        .iter()
        .filter(|request| target(request).ends_with(".PutEvents"))
        .count()
}

#[tokio::test]
async fn a_thousand_events_take_a_hundred_calls_and_keep_their_order() {
    let server = server(|entry, _| accepted(entry));
    let publisher = Publisher::put_events(client(&server.endpoint()).await, "orders")
        .await
        .unwrap();
    let entries: Vec<Entry> = (0..1000).map(|n| Entry::new(&order(n)).unwrap()).collect();
    let report = publisher.publish(&entries).await.unwrap();
    assert!(report.all_delivered());
    assert_eq!(report.calls, 100);
    assert_eq!(put_events_calls(&server), 100);
    for (n, delivery) in report.deliveries.iter().enumerate() {
        assert_eq!(
            delivery,
            &Delivery::Delivered {
                event_id: format!("event-o-{n}"),
                attempts: 1
            }
        );
    }
    // Every request carried the bus and the typed source/detail-type.
    let first = &entries_of(&server)[0];
    assert_eq!(first["EventBusName"], "orders");
    assert_eq!(first["Source"], "com.ecommerce.orders");
    assert_eq!(first["DetailType"], "OrderCreated");
}

fn entries_of(server: &FaultServer) -> Vec<Value> {
    server
        .requests()
        .iter()
        .filter(|r| target(r).ends_with(".PutEvents"))
        .flat_map(request_entries)
        .collect()
}

#[tokio::test]
async fn size_limit_splits_batches() {
    let server = server(|entry, _| accepted(entry));
    let entries: Vec<Entry> = (0..10).map(|n| Entry::new(&order(n)).unwrap()).collect();
    let size = entries[0].size();
    // Room for three entries per request.
    let publisher = Publisher::put_events(client(&server.endpoint()).await, "orders")
        .await
        .unwrap()
        .with_max_request_bytes(size * 3 + size / 2);
    let report = publisher.publish(&entries).await.unwrap();
    assert!(report.all_delivered());
    assert_eq!(report.calls, 4, "3 + 3 + 3 + 1");
}

#[tokio::test]
async fn retryable_entry_failures_are_resent_until_delivered_and_permanent_ones_are_reported() {
    // Orders divisible by 7 fail permanently; every third order fails its first two sends with a
    // retryable code (alternating InternalFailure / ThrottlingException).
    let server = server(|entry, attempt| {
        let n: usize = order_id(entry)[2..].parse().unwrap();
        if n.is_multiple_of(7) {
            let code = if n.is_multiple_of(2) {
                "MalformedDetail"
            } else {
                "AccessDeniedException"
            };
            json!({"ErrorCode": code, "ErrorMessage": "permanent"})
        } else if n.is_multiple_of(3) && attempt <= 2 {
            let code = if attempt == 1 {
                "InternalFailure"
            } else {
                "ThrottlingException"
            };
            json!({"ErrorCode": code, "ErrorMessage": "try again"})
        } else {
            accepted(entry)
        }
    });
    let publisher = Publisher::put_events(client(&server.endpoint()).await, "orders")
        .await
        .unwrap()
        .with_retry(fast_retry());
    let entries: Vec<Entry> = (1..=200).map(|n| Entry::new(&order(n)).unwrap()).collect();
    let report = publisher.publish(&entries).await.unwrap();
    assert_eq!(report.deliveries.len(), 200, "every input accounted for");
    for (position, delivery) in report.deliveries.iter().enumerate() {
        let n = position + 1;
        match delivery {
            Delivery::Failed {
                class,
                code,
                attempts,
                ..
            } => {
                assert_eq!(n % 7, 0, "only permanent failures fail: order {n} {code}");
                assert!(
                    (code == "MalformedDetail" && *class == FailureClass::EventRejected)
                        || (code == "AccessDeniedException"
                            && *class == FailureClass::NotPermitted),
                    "{code} {class:?}"
                );
                assert_eq!(*attempts, 1, "permanent codes are not retried");
            }
            Delivery::Delivered { event_id, attempts } => {
                assert_eq!(event_id, &format!("event-o-{n}"));
                assert_eq!(
                    *attempts,
                    if n.is_multiple_of(3) { 3 } else { 1 },
                    "order {n}"
                );
            }
        }
    }
    assert_eq!(report.failures().count(), 200 / 7);
    // Resent entries were only the retryable ones: 200 first sends + 2 resends for each n%3==0 (not n%7==0).
    let resends = (1..=200usize)
        .filter(|n| n.is_multiple_of(3) && !n.is_multiple_of(7))
        .count()
        * 2;
    assert_eq!(entries_of(&server).len(), 200 + resends);
}

#[tokio::test]
async fn request_level_throttling_and_server_errors_are_retried() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let server = FaultServer::start(move |request| {
        if target(request).ends_with("DescribeEventBus") {
            return Response::json(200, r#"{"Name":"orders"}"#);
        }
        match counter.fetch_add(1, Ordering::SeqCst) {
            0 => Response::aws_error(400, "ThrottlingException", "Rate exceeded"),
            1 => Response::aws_error(500, "InternalException", "boom"),
            2 => Response::json(200, "{}").delayed(Duration::from_millis(900)), // times out
            _ => {
                let results: Vec<Value> = request_entries(request).iter().map(accepted).collect();
                Response::json(
                    200,
                    json!({"FailedEntryCount": 0, "Entries": results}).to_string(),
                )
            }
        }
    })
    .unwrap();
    let publisher = Publisher::put_events(client(&server.endpoint()).await, "orders")
        .await
        .unwrap()
        .with_retry(fast_retry());
    let report = publisher
        .publish(&[Entry::new(&order(1)).unwrap()])
        .await
        .unwrap();
    assert!(report.all_delivered(), "{report:?}");
    assert_eq!(
        report.deliveries[0],
        Delivery::Delivered {
            event_id: "event-o-1".into(),
            attempts: 4
        }
    );
}

#[tokio::test]
async fn quota_limit_exceeded_is_permanent_not_throttling() {
    let server = FaultServer::start(|request| {
        if target(request).ends_with("DescribeEventBus") {
            return Response::json(200, r#"{"Name":"orders"}"#);
        }
        Response::aws_error(
            400,
            "LimitExceededException",
            "The requested resource exceeds the maximum number allowed.",
        )
    })
    .unwrap();
    let publisher = Publisher::put_events(client(&server.endpoint()).await, "orders")
        .await
        .unwrap()
        .with_retry(fast_retry());
    let entries: Vec<Entry> = (0..3).map(|n| Entry::new(&order(n)).unwrap()).collect();
    let report = publisher.publish(&entries).await.unwrap();
    assert_eq!(report.calls, 1, "not retried");
    for delivery in &report.deliveries {
        assert!(
            matches!(delivery, Delivery::Failed { code, attempts: 1, class: FailureClass::NotPermitted, .. } if code == "LimitExceededException"),
            "{delivery:?}"
        );
    }
}

#[tokio::test]
async fn retries_stop_at_the_attempt_limit_and_say_so() {
    let server =
        server(|_, _| json!({"ErrorCode": "InternalFailure", "ErrorMessage": "still failing"}));
    let publisher = Publisher::put_events(client(&server.endpoint()).await, "orders")
        .await
        .unwrap()
        .with_retry(RetryPolicy {
            max_attempts: 3,
            ..fast_retry()
        });
    let report = publisher
        .publish(&[Entry::new(&order(1)).unwrap()])
        .await
        .unwrap();
    match &report.deliveries[0] {
        Delivery::Failed {
            class,
            code,
            message,
            attempts,
        } => {
            assert_eq!(code, "InternalFailure");
            assert_eq!(*class, FailureClass::ServiceError);
            assert_eq!(*attempts, 3);
            assert!(message.contains("gave up after 3 attempts"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

/// A client with the SDK's default retries (3 attempts per request), as functions build it.
async fn default_client(endpoint: &str) -> Client {
    Client::new(&eventbridge_lambda_testing::sdk_config(endpoint).await)
}

#[tokio::test]
async fn throttling_forever_costs_max_attempts_requests_the_sdk_adding_none() {
    let server = FaultServer::start(|request| {
        if target(request).ends_with("DescribeEventBus") {
            return Response::json(200, r#"{"Name":"orders"}"#);
        }
        Response::aws_error(400, "ThrottlingException", "Rate exceeded")
    })
    .unwrap();
    let policy = RetryPolicy {
        max_attempts: 4,
        ..fast_retry()
    };
    let publisher = Publisher::put_events(default_client(&server.endpoint()).await, "orders")
        .await
        .unwrap()
        .with_retry(policy);
    let entries: Vec<Entry> = (0..12).map(|n| Entry::new(&order(n)).unwrap()).collect();
    let report = publisher
        .publish_before(&entries, Deadline::after(Duration::from_secs(10)))
        .await
        .unwrap();
    // 12 entries are 2 requests per attempt; 4 attempts, one HTTP request each.
    assert_eq!(report.calls, 8);
    assert_eq!(put_events_calls(&server), 8);
    for delivery in &report.deliveries {
        assert!(
            matches!(delivery, Delivery::Failed { class: FailureClass::Throttled, attempts: 4, message, .. }
                if message.contains("gave up after 4 attempts: no attempt left")),
            "{delivery:?}"
        );
    }
}

#[tokio::test]
async fn retries_end_by_the_deadline() {
    // Throttled answers; waits of up to 400 ms; 500 ms to go.
    let server = FaultServer::start(|request| {
        if target(request).ends_with("DescribeEventBus") {
            return Response::json(200, r#"{"Name":"orders"}"#);
        }
        Response::aws_error(400, "ThrottlingException", "Rate exceeded")
    })
    .unwrap();
    let publisher = Publisher::put_events(default_client(&server.endpoint()).await, "orders")
        .await
        .unwrap()
        .with_retry(RetryPolicy {
            max_attempts: 1000,
            base_backoff: Duration::from_millis(400),
            max_backoff: Duration::from_millis(400),
            deadline: Duration::from_secs(60),
        });
    let deadline = Deadline::after(Duration::from_millis(500));
    let report = publisher
        .publish_before(&[Entry::new(&order(1)).unwrap()], deadline)
        .await
        .unwrap();
    // No wait outlasts the deadline and the last request is cut at it (a scheduling allowance
    // for a loaded machine).
    assert!(
        std::time::Instant::now() < deadline.instant() + Duration::from_millis(250),
        "returned by the deadline"
    );
    match &report.deliveries[0] {
        Delivery::Failed {
            class,
            code,
            message,
            attempts,
        } => {
            // Throttled, unless the last request was still unanswered at the deadline.
            assert!(
                (*class == FailureClass::Throttled && message.contains("the deadline is reached"))
                    || (*class == FailureClass::UnknownOutcome && code == "NoAnswer"),
                "{class:?} {code} {message}"
            );
            assert!(*attempts >= 1, "{attempts}");
            assert_eq!(put_events_calls(&server), *attempts as usize);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_publishers_own_outcomes_are_unknown_outcomes() {
    // A response without a result for the entry, a request without an answer before the
    // deadline, and a deadline that passed before anything was sent.
    let missing = FaultServer::start(|request| {
        if target(request).ends_with("DescribeEventBus") {
            return Response::json(200, r#"{"Name":"orders"}"#);
        }
        Response::json(200, r#"{"FailedEntryCount":0,"Entries":[]}"#)
    })
    .unwrap();
    let silent = FaultServer::start(|request| {
        if target(request).ends_with("DescribeEventBus") {
            return Response::json(200, r#"{"Name":"orders"}"#);
        }
        Response::json(
            200,
            r#"{"FailedEntryCount":0,"Entries":[{"EventId":"late"}]}"#,
        )
        .delayed(Duration::from_secs(3))
    })
    .unwrap();
    let cases = [
        (&missing, Duration::from_secs(5), "MissingResult", 1),
        (&silent, Duration::from_millis(300), "NoAnswer", 1),
        (&missing, Duration::ZERO, "DeadlineReached", 0),
    ];
    for (server, within, expected, attempts_made) in cases {
        let publisher = Publisher::put_events(default_client(&server.endpoint()).await, "orders")
            .await
            .unwrap()
            .with_retry(fast_retry());
        let report = publisher
            .publish_before(&[Entry::new(&order(1)).unwrap()], Deadline::after(within))
            .await
            .unwrap();
        let (class, code, attempts) = common::failure(&report.deliveries[0]);
        assert_eq!(
            (class, code, attempts),
            (FailureClass::UnknownOutcome, expected, attempts_made)
        );
        assert_eq!(FailureClass::of(code), FailureClass::UnknownOutcome);
        assert_eq!(report.calls, attempts_made as usize, "{expected}");
    }
}

#[tokio::test]
async fn a_bus_check_failure_keeps_the_sdk_error_as_its_source() {
    let server =
        FaultServer::start(|_| Response::aws_error(400, "AccessDeniedException", "denied"))
            .unwrap();
    let error = Publisher::put_events(client(&server.endpoint()).await, "orders")
        .await
        .unwrap_err();
    assert!(
        matches!(&error, PublishError::BusCheck { bus, .. } if bus == "orders"),
        "{error}"
    );
    assert!(
        error.to_string().contains("AccessDeniedException"),
        "{error}"
    );
    let source = std::error::Error::source(&error).unwrap();
    let sdk = source
        .downcast_ref::<aws_sdk_eventbridge::error::SdkError<
            aws_sdk_eventbridge::operation::describe_event_bus::DescribeEventBusError,
        >>()
        .unwrap();
    assert_eq!(
        aws_sdk_eventbridge::error::ProvideErrorMetadata::code(sdk),
        Some("AccessDeniedException")
    );
}

#[tokio::test]
async fn oversize_entry_is_rejected_before_anything_is_sent() {
    let server = server(|entry, _| accepted(entry));
    let publisher = Publisher::put_events(client(&server.endpoint()).await, "orders")
        .await
        .unwrap();
    let big = Entry::raw(
        "com.example",
        "Big",
        json!({"blob": "x".repeat(300 * 1024)}).to_string(),
    )
    .unwrap();
    let entries = vec![Entry::new(&order(1)).unwrap(), big];
    let error = publisher.publish(&entries).await.unwrap_err();
    assert!(
        matches!(
            error,
            PublishError::EntryTooLarge {
                index: 1,
                limit: 262_144,
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(put_events_calls(&server), 0);
}

fn moto() -> &'static MotoServer {
    static MOTO: OnceLock<MotoServer> = OnceLock::new();
    MOTO.get_or_init(|| MotoServer::start().expect("moto server (run through scripts/test.sh)"))
}

#[tokio::test]
async fn missing_bus_is_refused_before_sending() {
    let error = Publisher::put_events(client(&moto().endpoint()).await, "no-such-bus")
        .await
        .unwrap_err();
    assert!(
        matches!(&error, PublishError::BusNotFound(bus) if bus == "no-such-bus"),
        "{error}"
    );
}

#[tokio::test]
async fn published_events_are_delivered_through_a_rule_to_an_sqs_target() {
    let config = eventbridge_lambda::aws::config_loader()
        .endpoint_url(moto().endpoint())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .load()
        .await;
    let events = Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    events
        .create_event_bus()
        .name("orders-delivery")
        .send()
        .await
        .unwrap();
    let queue_url = sqs
        .create_queue()
        .queue_name("shipping-observe")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let queue_arn = "arn:aws:sqs:us-east-1:123456789012:shipping-observe";
    events
        .put_rule()
        .name("order-created")
        .event_bus_name("orders-delivery")
        .event_pattern(r#"{"source": ["com.ecommerce.orders"], "detail-type": ["OrderCreated"]}"#)
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule("order-created")
        .event_bus_name("orders-delivery")
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("queue")
                .arn(queue_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let publisher = Publisher::put_events(events, "orders-delivery")
        .await
        .unwrap();
    let entries: Vec<Entry> = (0..3).map(|n| Entry::new(&order(n)).unwrap()).collect();
    let report = publisher.publish(&entries).await.unwrap();
    assert!(report.all_delivered(), "{report:?}");
    let mut received = Vec::new();
    for _ in 0..10 {
        let output = sqs
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        for message in output.messages() {
            let event: Value = serde_json::from_str(message.body().unwrap()).unwrap();
            received.push((
                event["id"].as_str().unwrap().to_owned(),
                event["detail"]["order_id"].as_str().unwrap().to_owned(),
            ));
        }
        if received.len() == 3 {
            break;
        }
    }
    received.sort();
    let mut expected: Vec<(String, String)> = report
        .deliveries
        .iter()
        .enumerate()
        .map(|(n, delivery)| match delivery {
            Delivery::Delivered { event_id, .. } => (event_id.clone(), format!("o-{n}")),
            Delivery::Failed { .. } => panic!("{delivery:?}"),
        })
        .collect();
    expected.sort();
    assert_eq!(
        received, expected,
        "every published event reached the queue, with the id the report gave"
    );
}

#[tokio::test]
async fn publishes_to_a_real_bus_on_moto() {
    let client = client(&moto().endpoint()).await;
    client
        .create_event_bus()
        .name("orders-moto")
        .send()
        .await
        .unwrap();
    let publisher = Publisher::put_events(client, "orders-moto").await.unwrap();
    let entries: Vec<Entry> = (0..25)
        .map(|n| {
            Entry::new(&order(n))
                .unwrap()
                .with_resources(["arn:aws:shop:order"])
        })
        .collect();
    let report = publisher.publish(&entries).await.unwrap();
    assert!(report.all_delivered(), "{report:?}");
    assert_eq!(report.calls, 3);
}

#[tokio::test]
async fn partner_events_go_in_batches_of_twenty() {
    let server = server(|entry, _| accepted(entry));
    let publisher = Publisher::put_partner_events(client(&server.endpoint()).await);
    let source = SourceName::new("shop.example.com", "123456789012/store-1").unwrap();
    let entries: Vec<Entry> = (0..45)
        .map(|n| {
            Entry::raw(
                source.as_str(),
                "OrderCreated",
                serde_json::to_string(&order(n)).unwrap(),
            )
            .unwrap()
        })
        .collect();
    let report = publisher.publish(&entries).await.unwrap();
    assert!(report.all_delivered());
    assert_eq!(report.calls, 3, "20 + 20 + 5");
    let requests = server.requests();
    assert!(
        requests
            .iter()
            .all(|request| target(request).ends_with("PutPartnerEvents"))
    );
    assert_eq!(request_entries(&requests[0])[0]["Source"], source.as_str());
}

#[tokio::test]
async fn partner_sources_are_created_and_described_on_moto() {
    let sources = Sources::new(client(&moto().endpoint()).await);
    let name = SourceName::new("shop.example.com", "123456789012/store-9").unwrap();
    let arn = sources.create(&name, "123456789012").await.unwrap();
    assert!(arn.contains("store-9"), "{arn}");
    assert!(sources.describe(&name).await.unwrap().is_some());
    let error = sources.create(&name, "12345").await.unwrap_err();
    assert!(
        matches!(error, PublishError::InvalidSourceName { .. }),
        "{error}"
    );
}

#[tokio::test]
async fn a_source_that_does_not_exist_is_described_as_none() {
    // moto answers this case with an HTTP 500, so the real service's answer is injected.
    let server = FaultServer::start(|_| {
        Response::aws_error(
            400,
            "ResourceNotFoundException",
            "An entity that you specified does not exist.",
        )
    })
    .unwrap();
    let sources = Sources::new(client(&server.endpoint()).await);
    let name = SourceName::new("shop.example.com", "123456789012/gone").unwrap();
    assert_eq!(sources.describe(&name).await.unwrap(), None);
}

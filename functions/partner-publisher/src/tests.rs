//! The handler against a real registry (moto's DynamoDB) and a PutPartnerEvents endpoint that
//! answers what each test decides (the fault server), through the real SDK clients.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use eventbridge_lambda::publish::FailureClass;
use eventbridge_lambda::publish::partner::SourceName;
use eventbridge_lambda_testing::fault::{FaultServer, Request, Response};
use eventbridge_lambda_testing::shared_moto;
use registry::Registration;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// A fresh registry table on moto with one ACTIVE source for `store-1`.
async fn registry() -> Registry {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let table = format!(
        "partner-sources-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    let client = aws_sdk_dynamodb::Client::new(&shared_moto().sdk_config().await);
    eventbridge_lambda_testing::create_table(&client, &table, "store_id")
        .await
        .unwrap();
    let registry = Registry::new(client, table);
    registry
        .register(&Registration {
            store_id: "store-1".into(),
            source: SourceName::new("shop.example.com", "123456789012/store-1").unwrap(),
            account: "123456789012".into(),
            state: "ACTIVE".into(),
        })
        .await
        .unwrap();
    registry
}

/// A PutPartnerEvents endpoint answering with `answer`, and the function's state in front of it:
/// the moto registry and the publisher as `init` configures it (the SDK's default retry
/// configuration, the function's retry policy).
async fn function(
    answer: impl Fn(&Request) -> Response + Send + Sync + 'static,
) -> (FaultServer, State) {
    let server = FaultServer::start(answer).unwrap();
    let client = aws_sdk_eventbridge::Client::new(
        &eventbridge_lambda_testing::sdk_config(&server.endpoint()).await,
    );
    let state = State {
        registry: registry().await,
        publisher: Publisher::put_partner_events(client).with_retry(retry_policy()),
    };
    (server, state)
}

/// How the endpoint answers, boxed so that table-driven tests can list several.
type Answer = Box<dyn Fn(&Request) -> Response + Send + Sync>;

/// Answers every entry of a PutPartnerEvents request with `result`.
fn every_entry(result: Value) -> impl Fn(&Request) -> Response + Send + Sync + 'static {
    move |request| {
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let results: Vec<Value> = body["Entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|_| result.clone())
            .collect();
        let failed = results
            .iter()
            .filter(|result| result.get("ErrorCode").is_some())
            .count();
        Response::json(
            200,
            json!({"FailedEntryCount": failed, "Entries": results}).to_string(),
        )
    }
}

fn entry_error(code: &str) -> impl Fn(&Request) -> Response + Send + Sync + 'static {
    every_entry(json!({"ErrorCode": code, "ErrorMessage": format!("{code} for this entry")}))
}

/// An invocation context whose deadline is `seconds` from now, as Lambda sets it.
fn invocation(seconds: f64) -> Context {
    let mut ctx = Context::default();
    let deadline = SystemTime::now() + Duration::from_secs_f64(seconds);
    ctx.deadline = deadline.duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
    ctx
}

fn order(store: Option<&str>) -> Event<OrderCreated> {
    let mut detail = json!({
        "order_id": "o-1", "customer_email": "customer@example.com",
        "items": [{"sku": "ABC", "quantity": 2}], "timestamp": "2026-11-20T10:00:00Z",
        "currency": "EUR", "total": 20.0
    });
    if let Some(store) = store {
        detail["store_id"] = store.into();
    }
    Event::new(serde_json::from_value(detail).unwrap()).with_id("e-1")
}

async fn state_of(state: &State) -> String {
    state
        .registry
        .lookup("store-1")
        .await
        .unwrap()
        .unwrap()
        .state
}

#[tokio::test]
async fn forwards_to_the_registered_source_without_the_email_address() {
    let (server, state) = function(every_entry(json!({"EventId": "partner-event-1"}))).await;
    let outcome = forward_order(order(Some("store-1")), invocation(10.0), &state)
        .await
        .unwrap();
    assert_eq!(
        outcome,
        Forwarded::Sent {
            source: "aws.partner/shop.example.com/123456789012/store-1".into(),
            event_id: "partner-event-1".into()
        }
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].header("x-amz-target"),
        Some("AWSEvents.PutPartnerEvents")
    );
    let body = String::from_utf8(requests[0].body.clone()).unwrap();
    assert!(
        !body.contains("customer@example.com") && !body.contains("customer_email"),
        "{body}"
    );
    let sent: Value = serde_json::from_str(&body).unwrap();
    let entry = &sent["Entries"][0];
    assert_eq!(
        entry["Source"],
        "aws.partner/shop.example.com/123456789012/store-1"
    );
    assert_eq!(entry["DetailType"], "OrderCreated");
    let detail: Value = serde_json::from_str(entry["Detail"].as_str().unwrap()).unwrap();
    assert_eq!(
        detail,
        json!({"order_id": "o-1", "store_id": "store-1", "items": [{"sku": "ABC", "quantity": 2}],
               "timestamp": "2026-11-20T10:00:00+00:00", "currency": "EUR", "total": 20.0})
    );
}

#[tokio::test]
async fn nothing_is_sent_without_a_store_or_a_registered_source() {
    let (server, state) = function(every_entry(json!({"EventId": "x"}))).await;
    assert_eq!(
        forward_order(order(None), invocation(10.0), &state)
            .await
            .unwrap(),
        Forwarded::NoStore
    );
    assert_eq!(
        forward_order(order(Some("store-unknown")), invocation(10.0), &state)
            .await
            .unwrap(),
        Forwarded::NotRegistered {
            store_id: "store-unknown".into()
        }
    );
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn a_source_that_does_not_exist_is_marked_deleted_and_later_orders_are_not_sent() {
    // Per entry, and for the whole request.
    let answers: [Answer; 2] = [
        Box::new(entry_error("ResourceNotFoundException")),
        Box::new(|_: &Request| {
            Response::aws_error(
                400,
                "ResourceNotFoundException",
                "Event source aws.partner/shop.example.com/123456789012/store-1 does not exist.",
            )
        }),
    ];
    for answer in answers {
        let (server, state) = function(answer).await;
        let outcome = forward_order(order(Some("store-1")), invocation(10.0), &state)
            .await
            .unwrap();
        assert_eq!(
            outcome,
            Forwarded::SourceRemoved {
                store_id: "store-1".into(),
                code: "ResourceNotFoundException".into()
            }
        );
        assert_eq!(server.requests().len(), 1, "not retried");
        assert_eq!(state_of(&state).await, "DELETED");
        let again = forward_order(order(Some("store-1")), invocation(10.0), &state)
            .await
            .unwrap();
        assert_eq!(
            again,
            Forwarded::SourceDeleted {
                store_id: "store-1".into()
            }
        );
        assert_eq!(server.requests().len(), 1);
    }
}

#[tokio::test]
async fn a_rejected_event_fails_the_invocation_and_keeps_the_source() {
    let answers: [(&str, Answer); 3] = [
        ("MalformedDetail", Box::new(entry_error("MalformedDetail"))),
        ("InvalidArgument", Box::new(entry_error("InvalidArgument"))),
        (
            "ValidationException",
            Box::new(|_: &Request| {
                Response::aws_error(
                    400,
                    "ValidationException",
                    "Total size of the entries in the request is over the limit.",
                )
            }),
        ),
    ];
    for (expected, answer) in answers {
        let (server, state) = function(answer).await;
        let error = forward_order(order(Some("store-1")), invocation(10.0), &state)
            .await
            .unwrap_err();
        assert!(
            matches!(&error, ForwardError::Rejected { code, .. } if code == expected),
            "{error}"
        );
        assert!(error.to_string().contains(expected), "{error}");
        assert_eq!(server.requests().len(), 1, "{expected}: not retried");
        assert_eq!(state_of(&state).await, "ACTIVE", "{expected}");
    }
}

#[tokio::test]
async fn the_partners_own_failures_and_unknown_outcomes_fail_the_invocation_and_keep_the_source() {
    let cases: [(FailureClass, &str, usize, Answer); 5] = [
        (
            FailureClass::NotPermitted,
            "AccessDeniedException",
            1,
            Box::new(|_: &Request| {
                Response::aws_error(400, "AccessDeniedException", "User is not authorized")
            }),
        ),
        (
            FailureClass::NotPermitted,
            "AccessDeniedException",
            1,
            Box::new(entry_error("AccessDeniedException")),
        ),
        (
            FailureClass::UnknownOutcome,
            "MissingResult",
            1,
            // An answer without a result for the entry: it may or may not have been delivered.
            Box::new(|_: &Request| {
                Response::json(200, r#"{"FailedEntryCount": 0, "Entries": []}"#)
            }),
        ),
        (
            FailureClass::Unrecognized,
            "SomethingNewException",
            1,
            Box::new(entry_error("SomethingNewException")),
        ),
        (
            FailureClass::ServiceError,
            "InternalFailure",
            retry_policy().max_attempts as usize,
            Box::new(entry_error("InternalFailure")),
        ),
    ];
    for (class, code, requests, answer) in cases {
        let (server, state) = function(answer).await;
        let error = forward_order(order(Some("store-1")), invocation(10.0), &state)
            .await
            .unwrap_err();
        match &error {
            ForwardError::StillFailing {
                class: got_class,
                code: got_code,
                ..
            } => assert_eq!((*got_class, got_code.as_str()), (class, code), "{error}"),
            other => panic!("{code}: {other}"),
        }
        assert!(error.to_string().contains(code), "{error}");
        assert_eq!(server.requests().len(), requests, "{code}");
        assert_eq!(state_of(&state).await, "ACTIVE", "{code}");
    }
}

#[tokio::test]
async fn throttling_forever_ends_in_still_failing_before_the_deadline_after_the_worst_case_requests()
 {
    let (server, state) =
        function(|_: &Request| Response::aws_error(400, "ThrottlingException", "Rate exceeded"))
            .await;
    let ctx = invocation(10.0);
    let started = Instant::now();
    let error = forward_order(order(Some("store-1")), ctx.clone(), &state)
        .await
        .unwrap_err();
    assert!(
        SystemTime::now() < ctx.deadline(),
        "returned before the deadline"
    );
    let policy = retry_policy();
    assert!(
        started.elapsed() < policy.max_total_backoff() + Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(
            &error,
            ForwardError::StillFailing { class: FailureClass::Throttled, attempts, .. }
                if *attempts == policy.max_attempts
        ),
        "{error}"
    );
    // The documented worst case: max_attempts requests, the SDK's own retries being off (the
    // client has the SDK's default of 3 attempts per request).
    assert_eq!(server.requests().len(), policy.max_attempts as usize);
    assert_eq!(state_of(&state).await, "ACTIVE");
}

#[tokio::test]
async fn an_unanswered_request_is_an_unknown_outcome_reported_before_the_invocation_ends() {
    let (server, state) = function(|request: &Request| {
        every_entry(json!({"EventId": "too-late"}))(request).delayed(Duration::from_secs(4))
    })
    .await;
    // 2.5 s left: the publisher's deadline is 1.5 s away (the margin keeps 1 s).
    let ctx = invocation(2.5);
    let error = forward_order(order(Some("store-1")), ctx.clone(), &state)
        .await
        .unwrap_err();
    assert!(
        SystemTime::now() < ctx.deadline(),
        "returned before the deadline"
    );
    assert!(
        matches!(
            &error,
            ForwardError::StillFailing { class: FailureClass::UnknownOutcome, code, .. }
                if code == "NoAnswer"
        ),
        "{error}"
    );
    assert_eq!(server.requests().len(), 1);
    assert_eq!(state_of(&state).await, "ACTIVE");
}

/// Template and code agree: every sample the template's rules route to this function
/// (events/routing/routing.json, which sam-template's routing test checks against the rules)
/// decodes as the handler's detail type, through the function's own pipeline.
#[tokio::test]
async fn every_sample_the_template_routes_here_decodes_as_the_handlers_type() {
    let (_server, state) = function(every_entry(serde_json::json!({"EventId": "e"}))).await;
    let dispatcher = forward_order_dispatcher(Box::leak(Box::new(state)));
    let samples = eventbridge_lambda_testing::routed_samples("PartnerPublisherFunction").unwrap();
    assert!(
        !samples.is_empty(),
        "routing.json sends nothing to PartnerPublisherFunction"
    );
    for (name, payload) in samples {
        if let Err(error) = dispatcher.decode(&payload) {
            panic!(
                "{name} is routed to PartnerPublisherFunction but its handler rejects it: {error}"
            );
        }
    }
}

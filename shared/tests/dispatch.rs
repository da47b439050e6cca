//! The dispatcher end to end: delivery modes, de-duplication and bad input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use eventbridge_lambda::dispatch::{Outcome, Response};
use eventbridge_lambda::{
    Context, DecodeError, Dispatcher, Event, EventError, MemoryStore, OrderCreated,
};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn order_event(id: &str, order_id: &str) -> Value {
    json!({
        "version": "0", "id": id, "detail-type": "OrderCreated", "source": "com.ecommerce.orders",
        "account": "123456789012", "time": "2023-10-27T10:00:00Z", "region": "us-east-1", "resources": [],
        "detail": {"order_id": order_id, "customer_email": "customer@example.com",
                   "items": [{"sku": "ABC", "quantity": 2}], "timestamp": "2023-10-27T10:00:00Z"}
    })
}

fn sqs_batch(bodies: &[String], arn: &str) -> Vec<u8> {
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| json!({"messageId": format!("m-{i}"), "body": body, "eventSource": "aws:sqs", "eventSourceARN": arn}))
        .collect();
    serde_json::to_vec(&json!({ "Records": records })).unwrap()
}

fn failures(response: &Response) -> Vec<String> {
    match response {
        Response::Batch(batch) => batch
            .batch_item_failures
            .iter()
            .map(|failure| failure.item_identifier.clone())
            .collect(),
        other => panic!("expected an SQS batch response, got {other:?}"),
    }
}

/// A handler counting its calls, failing for order ids starting with `fail`, panicking for `panic`.
fn counting_handler(
    calls: Arc<AtomicUsize>,
) -> impl Fn(Event<OrderCreated>, Context) -> std::future::Ready<Result<String, String>> {
    move |event: Event<OrderCreated>, _ctx: Context| {
        calls.fetch_add(1, Ordering::SeqCst);
        let order_id = event.detail.order_id;
        if order_id.starts_with("panic") {
            panic!("boom for {order_id}");
        }
        std::future::ready(if order_id.starts_with("fail") {
            Err(format!("cannot process {order_id}"))
        } else {
            Ok(format!("done {order_id}"))
        })
    }
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

#[test]
fn direct_event_is_handled_and_a_duplicate_returns_the_stored_response() {
    let calls = Arc::new(AtomicUsize::new(0));
    let dispatcher = Dispatcher::new(counting_handler(calls.clone()));
    let payload = sample("order-created.json");
    block_on(async {
        let first = dispatcher
            .invoke(&payload, Context::default())
            .await
            .unwrap();
        let second = dispatcher
            .invoke(&payload, Context::default())
            .await
            .unwrap();
        let expected = "\"done 8d1f0c5e-3b0a-4d1e-9f57-2f1c3a7b9e10\"";
        assert_eq!(serde_json::to_string(&first).unwrap(), expected);
        assert_eq!(serde_json::to_string(&second).unwrap(), expected);
    });
    assert_eq!(calls.load(Ordering::SeqCst), 1, "the duplicate was skipped");
}

#[test]
fn handler_error_releases_the_id_so_the_retry_runs_again() {
    let calls = Arc::new(AtomicUsize::new(0));
    let dispatcher = Dispatcher::new(counting_handler(calls.clone()));
    let payload = serde_json::to_vec(&order_event("e-fail", "fail-1")).unwrap();
    block_on(async {
        for _ in 0..2 {
            let error = dispatcher
                .invoke(&payload, Context::default())
                .await
                .unwrap_err();
            assert!(matches!(error, EventError::Handler { .. }));
            assert_eq!(
                error.to_string(),
                "event e-fail: handler failed: cannot process fail-1"
            );
            assert_eq!(error.error_type(), "String");
        }
    });
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "the retry ran the handler again"
    );
}

#[test]
fn panic_is_caught_reported_and_releases_the_id() {
    let calls = Arc::new(AtomicUsize::new(0));
    let dispatcher = Dispatcher::new(counting_handler(calls.clone()));
    let payload = serde_json::to_vec(&order_event("e-panic", "panic-1")).unwrap();
    block_on(async {
        for _ in 0..2 {
            let error = dispatcher
                .invoke(&payload, Context::default())
                .await
                .unwrap_err();
            assert_eq!(
                error.to_string(),
                "event e-panic: handler panicked: boom for panic-1"
            );
            assert_eq!(error.error_type(), "HandlerPanicked");
        }
    });
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[test]
fn concurrent_copy_in_progress_is_rejected_as_in_progress() {
    use eventbridge_lambda::dedup::DedupStore;
    let store = Arc::new(MemoryStore::default());
    let calls = Arc::new(AtomicUsize::new(0));
    let dispatcher = Dispatcher::new(counting_handler(calls.clone()))
        .with_store(store.clone())
        .with_namespace("fn");
    block_on(async {
        // Another execution holds the claim until far in the future.
        let other = eventbridge_lambda::dedup::ClaimRequest::new("fn#e-busy", "other", u64::MAX);
        store.claim(&other).await.unwrap();
        let payload = serde_json::to_vec(&order_event("e-busy", "o-1")).unwrap();
        let error = dispatcher
            .invoke(&payload, Context::default())
            .await
            .unwrap_err();
        assert!(matches!(error, EventError::InProgress { .. }), "{error}");
        assert_eq!(error.error_type(), "EventInProgress");
    });
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[test]
fn event_without_id_is_handled_every_time() {
    let calls = Arc::new(AtomicUsize::new(0));
    let dispatcher = Dispatcher::new(counting_handler(calls.clone()));
    let mut event = order_event("x", "o-1");
    event.as_object_mut().unwrap().remove("id");
    let payload = serde_json::to_vec(&event).unwrap();
    block_on(async {
        let outcome = dispatcher
            .process(&payload, &Context::default())
            .await
            .unwrap();
        assert!(matches!(outcome, Outcome::Handled(_)));
        dispatcher
            .process(&payload, &Context::default())
            .await
            .unwrap();
    });
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "no id: nothing to de-duplicate on, nothing dropped"
    );
}

#[test]
fn bad_direct_payloads_give_typed_errors_naming_the_event() {
    let dispatcher = Dispatcher::new(counting_handler(Arc::new(AtomicUsize::new(0))));
    let mut wrong_shape = order_event("e-shape", "o-1");
    wrong_shape["detail"]["items"][0]["quantity"] = json!("two");
    let mut not_object = order_event("e-array", "o-1");
    not_object["detail"] = json!([1, 2]);
    let mut no_detail_type = order_event("e-nodt", "o-1");
    no_detail_type
        .as_object_mut()
        .unwrap()
        .remove("detail-type");
    let mut bad_time = order_event("e-time", "o-1");
    bad_time["time"] = json!("yesterday");
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            b"{not json".to_vec(),
            "payload is not valid JSON: key must be a string at line 1 column 2",
        ),
        (
            serde_json::to_vec(&no_detail_type).unwrap(),
            "event e-nodt: not an EventBridge event: missing field `detail-type` (a typed handler takes the whole event: does the rule's target replace it with Input, InputPath or InputTransformer?)",
        ),
        (
            serde_json::to_vec(&not_object).unwrap(),
            "event e-array: `detail` must be a JSON object, found an array",
        ),
        (
            serde_json::to_vec(&wrong_shape).unwrap(),
            "event e-shape (OrderCreated): invalid detail: items[0].quantity: invalid type: string \"two\", expected u32",
        ),
        (
            sample("ec2-stopped.json"),
            "unexpected event type: source \"aws.ec2\" with detail-type \"EC2 Instance State-change Notification\"; this handler accepts source \"com.ecommerce.orders\" with detail-type \"OrderCreated\"",
        ),
        (
            // (An array is a Custom Event Bus batch: tests/custom_bus.rs.)
            b"\"just text\"".to_vec(),
            "event without id: not an EventBridge event: the payload is not a JSON object",
        ),
        (
            serde_json::to_vec(&bad_time).unwrap(),
            "event e-time: not an EventBridge event: `time` \"yesterday\" is not an RFC 3339 timestamp",
        ),
    ];
    block_on(async {
        for (payload, expected) in cases {
            let error = dispatcher
                .invoke(&payload, Context::default())
                .await
                .unwrap_err();
            assert!(matches!(error, EventError::Decode(_)), "{error}");
            assert_eq!(error.error_type(), "EventDecodeError");
            let message = error.to_string();
            assert!(
                message.contains(expected),
                "{message:?} should contain {expected:?}"
            );
        }
    });
}

#[test]
fn decode_error_keeps_the_event_id() {
    let mut event = order_event("e-42", "o-1");
    event["detail"] = json!("text");
    let error = eventbridge_lambda::decode::decode_event::<OrderCreated>(
        &serde_json::to_vec(&event).unwrap(),
    )
    .unwrap_err();
    assert!(matches!(
        error,
        DecodeError::DetailNotObject {
            found: "a string",
            ..
        }
    ));
    assert_eq!(error.event_id(), Some("e-42"));
}

#[test]
fn sqs_batch_reports_only_the_bad_records() {
    let calls = Arc::new(AtomicUsize::new(0));
    let dispatcher = Dispatcher::new(counting_handler(calls.clone()));
    let bodies = vec![
        order_event("e-1", "o-1").to_string(),
        "this is not an event".to_owned(),
        order_event("e-3", "fail-3").to_string(),
        serde_json::to_string(
            &serde_json::from_slice::<Value>(&sample("ec2-stopped.json")).unwrap(),
        )
        .unwrap(),
        order_event("e-5", "panic-5").to_string(),
        order_event("e-1", "o-1").to_string(), // duplicate inside the batch
        order_event("e-7", "o-7").to_string(),
    ];
    let payload = sqs_batch(
        &bodies,
        "arn:aws:sqs:us-east-1:123456789012:shipping-notifications-queue",
    );
    block_on(async {
        let response = dispatcher
            .invoke(&payload, Context::default())
            .await
            .unwrap();
        assert_eq!(failures(&response), ["m-1", "m-2", "m-3", "m-4"]);
        let json = serde_json::to_value(&response).unwrap();
        assert_eq!(
            json["batchItemFailures"][0],
            json!({"itemIdentifier": "m-1"})
        );
        // Redelivery of the same batch: processed events are duplicates now, the failures run again.
        let response = dispatcher
            .invoke(&payload, Context::default())
            .await
            .unwrap();
        assert_eq!(failures(&response), ["m-1", "m-2", "m-3", "m-4"]);
    });
    // First batch: o-1, fail-3, panic-5, o-7 ran; second batch: fail-3 and panic-5 again.
    assert_eq!(calls.load(Ordering::SeqCst), 6);
}

#[test]
fn fifo_batch_stops_at_the_first_failure_to_keep_order() {
    let calls = Arc::new(AtomicUsize::new(0));
    let dispatcher = Dispatcher::new(counting_handler(calls.clone()));
    let bodies = vec![
        order_event("e-1", "o-1").to_string(),
        order_event("e-2", "fail-2").to_string(),
        order_event("e-3", "o-3").to_string(),
    ];
    let payload = sqs_batch(&bodies, "arn:aws:sqs:us-east-1:123456789012:orders.fifo");
    block_on(async {
        let response = dispatcher
            .invoke(&payload, Context::default())
            .await
            .unwrap();
        assert_eq!(failures(&response), ["m-1", "m-2"]);
    });
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "the record after the failure was not processed"
    );
}

#[test]
fn sqs_record_without_message_id_fails_the_whole_batch_before_any_side_effect() {
    let calls = Arc::new(AtomicUsize::new(0));
    let dispatcher = Dispatcher::new(counting_handler(calls.clone()));
    let payload = serde_json::to_vec(&json!({"Records": [
        {"messageId": "m-0", "body": order_event("e-0", "o-0").to_string()},
        {"body": order_event("e-1", "o-1").to_string()}
    ]}))
    .unwrap();
    block_on(async {
        let error = dispatcher
            .invoke(&payload, Context::default())
            .await
            .unwrap_err();
        assert!(matches!(error, EventError::RecordWithoutId { index: 1 }));
        assert_eq!(error.error_type(), "SqsRecordWithoutId");
    });
    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "nothing ran for a batch that will be redelivered"
    );
}

#[test]
fn sample_sqs_batch_is_processed() {
    let calls = Arc::new(AtomicUsize::new(0));
    let dispatcher = Dispatcher::new(counting_handler(calls.clone()));
    block_on(async {
        let response = dispatcher
            .invoke(&sample("sqs-order-created-batch.json"), Context::default())
            .await
            .unwrap();
        assert!(failures(&response).is_empty());
        assert_eq!(
            serde_json::to_string(&response).unwrap(),
            r#"{"batchItemFailures":[]}"#
        );
    });
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[test]
fn raw_envelope_handler_accepts_any_event() {
    let dispatcher = Dispatcher::new(|event: Event<Value>, _ctx: Context| async move {
        Ok::<_, std::convert::Infallible>(event.detail_type)
    });
    block_on(async {
        for name in [
            "ec2-stopped.json",
            "order-created.json",
            "cleanrooms-protected-job-failed.json",
        ] {
            let response = dispatcher
                .invoke(&sample(name), Context::default())
                .await
                .unwrap();
            assert!(matches!(response, Response::Direct(Some(_))), "{name}");
        }
    });
}

#[test]
fn a_batch_whose_every_record_fails_fails_the_invocation() {
    let calls = Arc::new(AtomicUsize::new(0));
    let dispatcher = Dispatcher::new(counting_handler(calls.clone()));
    let bodies = vec![
        order_event("e-1", "fail-1").to_string(),
        "not an event".to_owned(),
        order_event("e-3", "panic-3").to_string(),
    ];
    let payload = sqs_batch(&bodies, "arn:aws:sqs:us-east-1:123456789012:shipping");
    block_on(async {
        let error = dispatcher
            .invoke(&payload, Context::default())
            .await
            .unwrap_err();
        assert!(
            matches!(error, EventError::BatchFailed { records: 3 }),
            "{error}"
        );
        assert_eq!(error.error_type(), "SqsBatchFailed");
        // A FIFO batch whose first record fails: the rest is returned unprocessed, so every
        // record failed too.
        let fifo = sqs_batch(
            &[
                order_event("e-4", "fail-4").to_string(),
                order_event("e-5", "o-5").to_string(),
            ],
            "arn:aws:sqs:us-east-1:123456789012:orders.fifo",
        );
        let error = dispatcher
            .invoke(&fifo, Context::default())
            .await
            .unwrap_err();
        assert!(
            matches!(error, EventError::BatchFailed { records: 2 }),
            "{error}"
        );
    });
    assert_eq!(calls.load(Ordering::SeqCst), 3, "fail-1, panic-3, fail-4");
}

#[derive(Debug, thiserror::Error)]
#[error("order {order_id} could not be shipped")]
struct ShipError {
    order_id: String,
    #[source]
    source: std::io::Error,
}

#[test]
fn a_handler_error_keeps_its_cause_in_the_error_message() {
    let dispatcher = Dispatcher::new(|event: Event<OrderCreated>, _ctx: Context| async move {
        Err::<(), _>(ShipError {
            order_id: event.detail.order_id,
            source: std::io::Error::other("carrier API refused the connection"),
        })
    });
    let payload = serde_json::to_vec(&order_event("e-1", "o-1")).unwrap();
    let error = block_on(dispatcher.invoke(&payload, Context::default())).unwrap_err();
    let diagnostic = lambda_runtime::Diagnostic::from(error);
    assert_eq!(diagnostic.error_type, "ShipError");
    assert_eq!(
        diagnostic.error_message,
        "event e-1: handler failed: order o-1 could not be shipped: carrier API refused the connection"
    );
}

#[test]
fn an_empty_business_key_fails_and_a_missing_one_falls_back_to_the_event_id() {
    use eventbridge_lambda::dispatch::BusinessKey;
    let calls = Arc::new(AtomicUsize::new(0));
    // What `#[handler(dedup_key = store_id)]` generates for an `Option<String>` field.
    let dispatcher = Dispatcher::new(counting_handler(calls.clone())).with_key(|event| {
        event
            .detail
            .store_id
            .business_key()
            .map(std::borrow::Cow::into_owned)
    });
    let with_store = |id: &str, store: Option<&str>| {
        let mut event = order_event(id, "o-1");
        if let Some(store) = store {
            event["detail"]["store_id"] = json!(store);
        }
        serde_json::to_vec(&event).unwrap()
    };
    block_on(async {
        let error = dispatcher
            .invoke(&with_store("e-1", Some("")), Context::default())
            .await
            .unwrap_err();
        assert!(
            matches!(error, EventError::EmptyBusinessKey { .. }),
            "{error}"
        );
        // No store id: the event id is the key, so the redelivery is a duplicate...
        let no_store = with_store("e-2", None);
        dispatcher
            .invoke(&no_store, Context::default())
            .await
            .unwrap();
        dispatcher
            .invoke(&no_store, Context::default())
            .await
            .unwrap();
        // ... while another event without a store id is not merged with it.
        dispatcher
            .invoke(&with_store("e-3", None), Context::default())
            .await
            .unwrap();
    });
    assert_eq!(calls.load(Ordering::SeqCst), 2, "e-2 once, e-3 once");
}

/// Lambda Managed Instances run several invocations in one process: two concurrent deliveries of
/// one event run the handler once, the other fails as in progress (and is retried).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_deliveries_of_one_event_in_one_process_run_the_handler_once() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let dispatcher = Arc::new(Dispatcher::new(
        move |event: Event<OrderCreated>, _ctx: Context| {
            let calls = counted.clone();
            async move {
                calls.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                Ok::<_, std::io::Error>(event.detail.order_id)
            }
        },
    ));
    let payload = Arc::new(serde_json::to_vec(&order_event("e-same", "o-1")).unwrap());
    let deliveries: Vec<_> = (0..2)
        .map(|_| {
            let (dispatcher, payload) = (dispatcher.clone(), payload.clone());
            tokio::spawn(async move { dispatcher.invoke(&payload, Context::default()).await })
        })
        .collect();
    let mut results = Vec::new();
    for delivery in deliveries {
        results.push(delivery.await.unwrap());
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1, "the handler ran once");
    assert_eq!(results.iter().filter(|result| result.is_ok()).count(), 1);
    assert!(
        results
            .iter()
            .any(|result| matches!(result, Err(EventError::InProgress { id }) if id == "e-same")),
        "{results:?}"
    );
}

/// Different events are handled at the same time: eight handlers each wait for all eight to be
/// running, which only completes when the dispatcher runs them concurrently.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn different_events_are_handled_concurrently_sharing_one_dispatcher() {
    let barrier = Arc::new(tokio::sync::Barrier::new(8));
    let waiting = barrier.clone();
    let dispatcher = Arc::new(Dispatcher::new(
        move |event: Event<OrderCreated>, _ctx: Context| {
            let barrier = waiting.clone();
            async move {
                barrier.wait().await;
                Ok::<_, std::io::Error>(event.detail.order_id)
            }
        },
    ));
    let deliveries: Vec<_> = (0..8)
        .map(|i| {
            let dispatcher = dispatcher.clone();
            let payload = serde_json::to_vec(&order_event(&format!("e-{i}"), "o")).unwrap();
            tokio::spawn(async move { dispatcher.invoke(&payload, Context::default()).await })
        })
        .collect();
    let all = futures_util::future::join_all(deliveries);
    let results = tokio::time::timeout(std::time::Duration::from_secs(30), all)
        .await
        .expect("the eight handlers never all ran at the same time");
    assert!(results.into_iter().all(|result| result.unwrap().is_ok()));
}

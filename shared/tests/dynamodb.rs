//! Durable de-duplication against a real DynamoDB API (moto server on loopback) through the real
//! aws-sdk-dynamodb client, and against a fault-injecting server for store failures.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, TimeToLiveSpecification};
use eventbridge_lambda::dedup::{
    CachedStore, Claim, ClaimRequest, Completed, DedupStore, DynamoStore, MemoryStore, Settled,
};
use eventbridge_lambda::dispatch::{Outcome, Response};
use eventbridge_lambda::{Context, Dispatcher, ErrorChain, Event, EventError, OrderCreated};
use eventbridge_lambda_testing::fault::{FaultServer, Response as FaultResponse};
use eventbridge_lambda_testing::{MotoServer, create_table, shared_moto};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn moto() -> &'static MotoServer {
    shared_moto()
}

async fn client(endpoint: &str) -> Client {
    Client::new(&eventbridge_lambda_testing::sdk_config(endpoint).await)
}

/// A fresh table laid out as `template.yaml` declares it: key `id`, TTL on `expiration`.
async fn table(client: &Client) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "dedup-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    create_table(client, &name, "id").await.unwrap();
    client
        .update_time_to_live()
        .table_name(&name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name("expiration")
                .enabled(true)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    name
}

fn order_event(id: &str, order_id: &str) -> Value {
    json!({
        "version": "0", "id": id, "detail-type": "OrderCreated", "source": "com.ecommerce.orders",
        "account": "123456789012", "time": "2023-10-27T10:00:00Z", "region": "us-east-1", "resources": [],
        "detail": {"order_id": order_id, "customer_email": "customer@example.com",
                   "items": [{"sku": "ABC", "quantity": 2}], "timestamp": "2023-10-27T10:00:00Z"}
    })
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// A context with a deadline, as Lambda gives one.
fn context(deadline_in: Duration) -> Context {
    let mut ctx = Context::default();
    ctx.deadline = now_ms() + deadline_in.as_millis() as u64;
    ctx
}

/// A dispatcher over [`side_effect`] (no extra work) with a DynamoDB store on `table`
/// (one-hour expiry), namespace `fn`.
fn dedup_dispatcher(
    count: Arc<AtomicUsize>,
    client: Client,
    table: impl Into<String>,
) -> Dispatcher<OrderCreated, impl Fn(Event<OrderCreated>, Context) -> Shipment + Send + Sync> {
    Dispatcher::new(side_effect(count, Duration::ZERO))
        .with_store(Arc::new(DynamoStore::new(
            client,
            table,
            Duration::from_secs(3600),
        )))
        .with_namespace("fn")
}

type Shipment = std::pin::Pin<Box<dyn std::future::Future<Output = Result<String, String>> + Send>>;

/// A handler whose side effect is counting; it takes `work` to run and fails for `fail-*` orders.
fn side_effect(
    count: Arc<AtomicUsize>,
    work: Duration,
) -> impl Fn(Event<OrderCreated>, Context) -> Shipment + Send + Sync {
    move |event: Event<OrderCreated>, _ctx: Context| {
        let count = count.clone();
        Box::pin(async move {
            tokio::time::sleep(work).await;
            if event.detail.order_id.starts_with("fail") {
                return Err(format!("cannot ship {}", event.detail.order_id));
            }
            let n = count.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(format!(
                "shipped {} (side effect #{n})",
                event.detail.order_id
            ))
        })
    }
}

async fn item(
    client: &Client,
    table: &str,
    key: &str,
) -> Option<std::collections::HashMap<String, AttributeValue>> {
    eventbridge_lambda_testing::get_item(client, table, "id", key)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_deliveries_run_the_side_effect_once() {
    let client = client(&moto().endpoint()).await;
    let table = table(&client).await;
    let count = Arc::new(AtomicUsize::new(0));
    let payload = Arc::new(serde_json::to_vec(&order_event("e-race", "o-race")).unwrap());
    // 50 execution environments: each its own dispatcher and local cache, one shared table.
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let store = CachedStore::new(
                MemoryStore::default(),
                DynamoStore::new(client.clone(), table.clone(), Duration::from_secs(3600)),
            );
            let dispatcher =
                Dispatcher::new(side_effect(count.clone(), Duration::from_millis(300)))
                    .with_store(Arc::new(store))
                    .with_namespace("ShippingFunction");
            let payload = payload.clone();
            tokio::spawn(async move {
                dispatcher
                    .process(&payload, &context(Duration::from_secs(60)))
                    .await
            })
        })
        .collect();
    let (mut handled, mut duplicates, mut in_progress) = (0, 0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(Outcome::Handled(_)) => handled += 1,
            Ok(Outcome::Duplicate(_)) => duplicates += 1,
            Err(EventError::InProgress { id }) => {
                assert_eq!(id, "e-race");
                in_progress += 1;
            }
            Err(other) => panic!("unexpected {other}"),
        }
    }
    assert_eq!(
        count.load(Ordering::SeqCst),
        1,
        "the side effect happened exactly once"
    );
    assert_eq!(handled, 1);
    assert_eq!(duplicates + in_progress, 49);
    let record = item(&client, &table, "ShippingFunction#e-race")
        .await
        .unwrap();
    assert_eq!(record["status"].as_s().unwrap(), "COMPLETED");
    assert_eq!(
        record["data"].as_s().unwrap(),
        "\"shipped o-race (side effect #1)\""
    );
}

#[tokio::test]
async fn handler_error_deletes_the_record_and_the_redelivery_runs() {
    let client = client(&moto().endpoint()).await;
    let table = table(&client).await;
    let count = Arc::new(AtomicUsize::new(0));
    let dispatcher = dedup_dispatcher(count.clone(), client.clone(), table.clone());
    let payload = serde_json::to_vec(&order_event("e-fail", "fail-1")).unwrap();
    let error = dispatcher
        .process(&payload, &context(Duration::from_secs(60)))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "event e-fail: handler failed: cannot ship fail-1"
    );
    assert!(
        item(&client, &table, "fn#e-fail").await.is_none(),
        "record deleted on handler error"
    );
    // The redelivery claims the key again and runs the handler (which fails again here).
    let error = dispatcher
        .process(&payload, &context(Duration::from_secs(60)))
        .await
        .unwrap_err();
    assert!(matches!(error, EventError::Handler { .. }), "{error}");
}

#[tokio::test]
async fn a_copy_that_crashed_in_progress_is_taken_over_after_its_deadline() {
    let client = client(&moto().endpoint()).await;
    let table = table(&client).await;
    let expiration = (now_ms() / 1000 + 3600).to_string();
    let put = |key: &str, in_progress_until: u64| {
        client
            .put_item()
            .table_name(&table)
            .item("id", AttributeValue::S(key.into()))
            .item("status", AttributeValue::S("INPROGRESS".into()))
            .item("expiration", AttributeValue::N(expiration.clone()))
            .item(
                "in_progress_expiration",
                AttributeValue::N(in_progress_until.to_string()),
            )
            .send()
    };
    put("fn#e-crashed", now_ms() - 1_000).await.unwrap(); // its Lambda deadline has passed
    put("fn#e-running", now_ms() + 60_000).await.unwrap(); // still within its deadline
    let count = Arc::new(AtomicUsize::new(0));
    let dispatcher = dedup_dispatcher(count.clone(), client.clone(), table.clone());
    let crashed = serde_json::to_vec(&order_event("e-crashed", "o-1")).unwrap();
    let outcome = dispatcher
        .process(&crashed, &context(Duration::from_secs(60)))
        .await
        .unwrap();
    assert!(matches!(outcome, Outcome::Handled(_)));
    let running = serde_json::to_vec(&order_event("e-running", "o-2")).unwrap();
    let error = dispatcher
        .process(&running, &context(Duration::from_secs(60)))
        .await
        .unwrap_err();
    assert!(matches!(error, EventError::InProgress { .. }), "{error}");
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn completed_duplicate_returns_the_stored_response_until_it_expires() {
    let client = client(&moto().endpoint()).await;
    let table = table(&client).await;
    let count = Arc::new(AtomicUsize::new(0));
    // A fresh dispatcher per delivery: a duplicate reaching another execution environment.
    let deliver = |payload: Vec<u8>| {
        let dispatcher = dedup_dispatcher(count.clone(), client.clone(), table.clone());
        async move {
            dispatcher
                .invoke(&payload, context(Duration::from_secs(60)))
                .await
                .unwrap()
        }
    };
    let payload = serde_json::to_vec(&order_event("e-done", "o-1")).unwrap();
    let first = serde_json::to_string(&deliver(payload.clone()).await).unwrap();
    let second = serde_json::to_string(&deliver(payload.clone()).await).unwrap();
    assert_eq!(first, "\"shipped o-1 (side effect #1)\"");
    assert_eq!(second, first, "the stored response");
    assert_eq!(count.load(Ordering::SeqCst), 1);
    // The record's expiry passes; the item is still there (TTL deletion lags) but counts as absent.
    client
        .update_item()
        .table_name(&table)
        .key("id", AttributeValue::S("fn#e-done".into()))
        .update_expression("SET expiration = :past")
        .expression_attribute_values(
            ":past",
            AttributeValue::N((now_ms() / 1000 - 10).to_string()),
        )
        .send()
        .await
        .unwrap();
    let third = serde_json::to_string(&deliver(payload).await).unwrap();
    assert_eq!(
        third, "\"shipped o-1 (side effect #2)\"",
        "expired: the handler runs again"
    );
}

#[tokio::test]
async fn business_key_catches_a_producer_resend_with_a_new_event_id() {
    let client = client(&moto().endpoint()).await;
    let table = table(&client).await;
    let count = Arc::new(AtomicUsize::new(0));
    let dispatcher = dedup_dispatcher(count.clone(), client.clone(), table.clone())
        .with_key(|event| Some(event.detail.order_id.clone()));
    for event_id in ["e-original", "e-resent"] {
        let payload = serde_json::to_vec(&order_event(event_id, "o-77")).unwrap();
        dispatcher
            .process(&payload, &context(Duration::from_secs(60)))
            .await
            .unwrap();
    }
    assert_eq!(count.load(Ordering::SeqCst), 1);
    assert!(item(&client, &table, "fn#o-77").await.is_some());
}

#[tokio::test]
async fn sqs_batches_with_duplicates_inside_and_across_batches() {
    let client = client(&moto().endpoint()).await;
    let table = table(&client).await;
    let count = Arc::new(AtomicUsize::new(0));
    let dispatcher =
        |count: Arc<AtomicUsize>| dedup_dispatcher(count, client.clone(), table.clone());
    let batch = |ids: &[(&str, &str)]| {
        let records: Vec<Value> = ids
            .iter()
            .enumerate()
            .map(|(i, (id, order))| json!({"messageId": format!("m-{i}"), "body": order_event(id, order).to_string(),
                                          "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:shipping"}))
            .collect();
        serde_json::to_vec(&json!({ "Records": records })).unwrap()
    };
    let failed = |response: Response| match response {
        Response::Batch(batch) => batch.batch_item_failures.len(),
        other => panic!("expected an SQS batch, got {other:?}"),
    };
    let first = batch(&[
        ("e-1", "o-1"),
        ("e-2", "o-2"),
        ("e-1", "o-1"),
        ("e-3", "fail-3"),
    ]);
    let response = dispatcher(count.clone())
        .invoke(&first, context(Duration::from_secs(60)))
        .await
        .unwrap();
    assert_eq!(failed(response), 1, "only the failing record");
    assert_eq!(count.load(Ordering::SeqCst), 2, "e-1 once, e-2 once");
    // The next batch, in another execution environment: e-2 again, and a new e-4.
    let second = batch(&[("e-2", "o-2"), ("e-4", "o-4")]);
    let response = dispatcher(count.clone())
        .invoke(&second, context(Duration::from_secs(60)))
        .await
        .unwrap();
    assert_eq!(failed(response), 0);
    assert_eq!(
        count.load(Ordering::SeqCst),
        3,
        "e-2 was a duplicate across batches"
    );
}

/// Counts the requests moto has logged (one line per HTTP request; error lines are coloured).
fn logged_requests(moto: &MotoServer) -> usize {
    moto.logs()
        .lines()
        .filter(|line| line.contains("POST / HTTP/1.1"))
        .count()
}

#[tokio::test]
async fn calls_per_delivery_two_first_one_duplicate_zero_with_cache() {
    let moto = MotoServer::start().unwrap();
    let client = client(&moto.endpoint()).await;
    let table = table(&client).await;
    let durable = DynamoStore::new(client.clone(), table.clone(), Duration::from_secs(3600));
    let cached = CachedStore::new(MemoryStore::default(), durable.clone());
    let until = now_ms() + 60_000;

    let first_claim = ClaimRequest::new("fn#k", "token-1", until);
    let again = ClaimRequest::new("fn#k", "token-2", until);

    let before = logged_requests(&moto);
    assert_eq!(cached.claim(&first_claim).await.unwrap(), Claim::Acquired);
    assert_eq!(
        cached.complete(&first_claim, None).await.unwrap(),
        Settled::Recorded
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let first = logged_requests(&moto) - before;

    let before = logged_requests(&moto);
    assert_eq!(
        durable.claim(&again).await.unwrap(),
        Claim::Completed(Completed::empty())
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let duplicate = logged_requests(&moto) - before;

    let before = logged_requests(&moto);
    assert_eq!(
        cached.claim(&again).await.unwrap(),
        Claim::Completed(Completed::empty())
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let cached_duplicate = logged_requests(&moto) - before;

    eprintln!(
        "DynamoDB calls: first delivery {first}, duplicate {duplicate}, duplicate with cache hit {cached_duplicate}"
    );
    assert_eq!((first, duplicate, cached_duplicate), (2, 1, 0));
}

#[tokio::test]
async fn throttled_store_means_the_handler_does_not_run_and_the_error_says_why() {
    let server = FaultServer::start(|_| {
        FaultResponse::aws_error(
            400,
            "com.amazonaws.dynamodb.v20120810#ThrottlingException",
            "Rate of requests exceeds the allowed throughput.",
        )
    })
    .unwrap();
    let client = client(&server.endpoint()).await;
    let count = Arc::new(AtomicUsize::new(0));
    let dispatcher = dedup_dispatcher(count.clone(), client, "dedup");
    let payload = serde_json::to_vec(&order_event("e-throttled", "o-1")).unwrap();
    let error = dispatcher
        .invoke(&payload, context(Duration::from_secs(60)))
        .await
        .unwrap_err();
    assert_eq!(count.load(Ordering::SeqCst), 0, "handler not run");
    assert_eq!(error.error_type(), "DedupStoreError");
    let message = ErrorChain(&error).to_string();
    assert!(message.starts_with("event e-throttled was not processed: dedup store dynamodb could not claim key \"fn#e-throttled\""), "{message}");
    assert!(message.contains("ThrottlingException"), "{message}");
    assert!(
        server.requests().len() >= 2,
        "the SDK retried throttling before giving up"
    );
}

#[tokio::test]
async fn unreachable_store_means_the_handler_does_not_run() {
    let port = eventbridge_lambda_testing::free_port().unwrap(); // nothing listens there
    let client = client(&format!("http://127.0.0.1:{port}")).await;
    let count = Arc::new(AtomicUsize::new(0));
    let dispatcher = dedup_dispatcher(count.clone(), client, "dedup");
    let payload = serde_json::to_vec(&order_event("e-down", "o-1")).unwrap();
    let error = dispatcher
        .invoke(&payload, context(Duration::from_secs(60)))
        .await
        .unwrap_err();
    assert_eq!(count.load(Ordering::SeqCst), 0);
    assert!(matches!(error, EventError::Store { .. }), "{error}");
}

/// An order event whose detail differs from [`order_event`]'s in its items.
fn order_event_with_items(id: &str, order_id: &str, quantity: u32) -> Value {
    let mut event = order_event(id, order_id);
    event["detail"]["items"] = json!([{"sku": "ABC", "quantity": quantity}]);
    event
}

#[tokio::test]
async fn an_empty_business_key_is_an_error_and_nothing_is_recorded() {
    let client = client(&moto().endpoint()).await;
    let table = table(&client).await;
    let count = Arc::new(AtomicUsize::new(0));
    let dispatcher = dedup_dispatcher(count.clone(), client.clone(), table.clone())
        .with_key(|event| Some(event.detail.order_id.clone()));
    let payload = serde_json::to_vec(&order_event("e-empty", " ")).unwrap();
    let error = dispatcher
        .process(&payload, &context(Duration::from_secs(60)))
        .await
        .unwrap_err();
    assert!(
        matches!(error, EventError::EmptyBusinessKey { .. }),
        "{error}"
    );
    assert_eq!(error.error_type(), "EmptyBusinessKey");
    assert!(error.to_string().starts_with("event e-empty: "), "{error}");
    assert_eq!(count.load(Ordering::SeqCst), 0, "handler not run");
    assert!(item(&client, &table, "fn# ").await.is_none());
    assert!(item(&client, &table, "fn#").await.is_none());
}

#[tokio::test]
async fn the_same_business_key_with_a_different_detail_is_not_skipped() {
    let client = client(&moto().endpoint()).await;
    let table = table(&client).await;
    let count = Arc::new(AtomicUsize::new(0));
    let dispatcher = dedup_dispatcher(count.clone(), client.clone(), table.clone())
        .with_key(|event| Some(event.detail.order_id.clone()));
    let deliver = |event: Value| {
        let payload = serde_json::to_vec(&event).unwrap();
        let dispatcher = &dispatcher;
        async move {
            dispatcher
                .process(&payload, &context(Duration::from_secs(60)))
                .await
        }
    };
    let first = deliver(order_event_with_items("e-1", "o-90", 2))
        .await
        .unwrap();
    assert!(matches!(first, Outcome::Handled(_)));
    let record = item(&client, &table, "fn#o-90").await.unwrap();
    assert_eq!(record["validation"].as_s().unwrap().len(), 64, "{record:?}");
    // The same detail re-sent as a new event (and with its keys in another order): a duplicate.
    let mut reordered = order_event_with_items("e-2", "o-90", 2);
    let detail = reordered["detail"].take();
    reordered["detail"] = serde_json::from_str(&format!(
        r#"{{"items":{},"timestamp":{},"customer_email":{},"order_id":{}}}"#,
        detail["items"], detail["timestamp"], detail["customer_email"], detail["order_id"]
    ))
    .unwrap();
    let again = deliver(reordered).await.unwrap();
    assert!(matches!(again, Outcome::Duplicate(_)));
    // The same key with another detail: an error naming the key, not a silent skip.
    let error = deliver(order_event_with_items("e-3", "o-90", 5))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, EventError::PayloadMismatch { key, .. } if key == "o-90"),
        "{error}"
    );
    assert_eq!(error.error_type(), "PayloadMismatch");
    assert_eq!(count.load(Ordering::SeqCst), 1, "the handler ran once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_first_delivery_never_overwrites_or_deletes_the_takeover() {
    let client = client(&moto().endpoint()).await;
    let table = table(&client).await;
    let count = Arc::new(AtomicUsize::new(0));
    let store = || {
        Arc::new(DynamoStore::new(
            client.clone(),
            table.clone(),
            Duration::from_secs(3600),
        ))
    };
    // The first delivery's handler outlives its invocation's deadline (400 ms from now).
    let slow = Dispatcher::new(side_effect(count.clone(), Duration::from_millis(1_500)))
        .with_store(store())
        .with_namespace("fn");
    let fast = Dispatcher::new(side_effect(count.clone(), Duration::ZERO))
        .with_store(store())
        .with_namespace("fn");
    let payload = serde_json::to_vec(&order_event("e-late", "o-1")).unwrap();
    let first = {
        let payload = payload.clone();
        tokio::spawn(async move {
            slow.process(&payload, &context(Duration::from_millis(400)))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(700)).await;
    // The claim has lapsed: a redelivery takes it over and completes first.
    let takeover = fast
        .process(&payload, &context(Duration::from_secs(60)))
        .await
        .unwrap();
    assert!(matches!(takeover, Outcome::Handled(_)));
    let record = item(&client, &table, "fn#e-late").await.unwrap();
    let takeover_token = record["claim_token"].as_s().unwrap().clone();
    assert_eq!(
        record["data"].as_s().unwrap(),
        "\"shipped o-1 (side effect #1)\""
    );
    // The late first delivery finishes: its response is its own, the record stays the takeover's.
    let late = first.await.unwrap().unwrap();
    assert_eq!(
        late.response().unwrap().get(),
        "\"shipped o-1 (side effect #2)\""
    );
    let record = item(&client, &table, "fn#e-late").await.unwrap();
    assert_eq!(record["status"].as_s().unwrap(), "COMPLETED");
    assert_eq!(record["claim_token"].as_s().unwrap(), &takeover_token);
    assert_eq!(
        record["data"].as_s().unwrap(),
        "\"shipped o-1 (side effect #1)\""
    );

    // A late *failure* does not delete a takeover's claim either.
    let durable = DynamoStore::new(client.clone(), table.clone(), Duration::from_secs(3600));
    let lapsed = ClaimRequest::new("fn#e-late-2", "late", now_ms() - 1);
    assert_eq!(durable.claim(&lapsed).await.unwrap(), Claim::Acquired);
    let takeover = ClaimRequest::new("fn#e-late-2", "takeover", now_ms() + 60_000);
    assert_eq!(durable.claim(&takeover).await.unwrap(), Claim::Acquired);
    assert_eq!(durable.release(&lapsed).await.unwrap(), Settled::TakenOver);
    assert_eq!(
        durable.complete(&lapsed, None).await.unwrap(),
        Settled::TakenOver
    );
    let record = item(&client, &table, "fn#e-late-2").await.unwrap();
    assert_eq!(record["status"].as_s().unwrap(), "INPROGRESS");
    assert_eq!(record["claim_token"].as_s().unwrap(), "takeover");
    assert_eq!(durable.release(&takeover).await.unwrap(), Settled::Recorded);
    assert!(item(&client, &table, "fn#e-late-2").await.is_none());
}

#[tokio::test]
async fn a_failed_completion_write_returns_the_response_and_leaves_the_claim_to_lapse() {
    // Claims succeed; every completion is refused (a non-retryable error, so the SDK does not
    // retry it either).
    let server = FaultServer::start(|request| match request.header("x-amz-target") {
        Some("DynamoDB_20120810.PutItem") => FaultResponse::json(200, "{}"),
        _ => FaultResponse::aws_error(
            400,
            "com.amazonaws.dynamodb.v20120810#AccessDeniedException",
            "not authorized to perform dynamodb:UpdateItem",
        ),
    })
    .unwrap();
    let client = client(&server.endpoint()).await;
    let count = Arc::new(AtomicUsize::new(0));
    let dispatcher = dedup_dispatcher(count.clone(), client, "dedup");
    let payload = serde_json::to_vec(&order_event("e-unrecorded", "o-1")).unwrap();
    let response = dispatcher
        .invoke(&payload, context(Duration::from_secs(60)))
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_string(&response).unwrap(),
        "\"shipped o-1 (side effect #1)\"",
        "the event was handled: its response is returned"
    );
    assert_eq!(count.load(Ordering::SeqCst), 1);
    let targets: Vec<String> = server
        .requests()
        .iter()
        .filter_map(|request| request.header("x-amz-target").map(str::to_owned))
        .collect();
    assert_eq!(
        targets,
        ["DynamoDB_20120810.PutItem", "DynamoDB_20120810.UpdateItem"],
        "one claim, one refused completion"
    );
}

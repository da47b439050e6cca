//! The handler against a real DynamoDB API (moto server on loopback) through the real SDK client.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use eventbridge_lambda_testing::fault::{FaultServer, Request, Response};
use eventbridge_lambda_testing::{MotoServer, shared_moto};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// An invocation context whose deadline is `seconds` from now, as Lambda sets it.
fn invocation_ending_in(seconds: f64) -> Context {
    let mut ctx = Context::default();
    let deadline = SystemTime::now() + Duration::from_secs_f64(seconds);
    ctx.deadline = deadline.duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
    ctx
}

/// The template's 10 s timeout.
fn invocation() -> Context {
    invocation_ending_in(10.0)
}

fn moto() -> &'static MotoServer {
    shared_moto()
}

async fn client() -> Client {
    Client::new(&moto().sdk_config().await)
}

async fn create_table(client: &Client, prefix: &str, key: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "{prefix}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    eventbridge_lambda_testing::create_table(client, &name, key)
        .await
        .unwrap();
    name
}

/// Fresh inventory and reservations tables, laid out as `template.yaml` declares them, with stock.
async fn tables(stock: &[(&str, u64)]) -> Tables {
    let client = client().await;
    let inventory = create_table(&client, "inventory", "sku").await;
    let reservations = create_table(&client, "reservations", "order_id").await;
    for (sku, available) in stock {
        client
            .put_item()
            .table_name(&inventory)
            .item("sku", AttributeValue::S((*sku).to_owned()))
            .item("available", AttributeValue::N(available.to_string()))
            .send()
            .await
            .unwrap();
    }
    Tables {
        client,
        inventory,
        reservations,
    }
}

async fn available(tables: &Tables, sku: &str) -> i64 {
    let item = eventbridge_lambda_testing::get_item(&tables.client, &tables.inventory, "sku", sku)
        .await
        .unwrap()
        .unwrap();
    item["available"].as_n().unwrap().parse().unwrap()
}

async fn record(tables: &Tables, order_id: &str) -> Option<HashMap<String, AttributeValue>> {
    eventbridge_lambda_testing::get_item(&tables.client, &tables.reservations, "order_id", order_id)
        .await
        .unwrap()
}

fn order(order_id: &str, items: &[(&str, u32)]) -> Event<OrderCreated> {
    let items: Vec<_> = items
        .iter()
        .map(|(sku, quantity)| serde_json::json!({"sku": sku, "quantity": quantity}))
        .collect();
    let detail = serde_json::json!({
        "order_id": order_id,
        "customer_email": "customer@example.com",
        "items": items,
        "timestamp": "2023-10-27T10:00:00Z"
    });
    Event::new(serde_json::from_value(detail).unwrap()).with_id(format!("event-{order_id}"))
}

fn skus(value: &AttributeValue) -> Vec<String> {
    value
        .as_l()
        .unwrap()
        .iter()
        .map(|sku| sku.as_s().unwrap().clone())
        .collect()
}

#[tokio::test]
async fn every_line_is_reserved_and_recorded_in_one_transaction() {
    let tables = tables(&[("ABC", 5), ("XYZ", 5)]).await;
    let reservation = reserve_stock(
        order("o-1", &[("ABC", 2), ("XYZ", 1), ("ABC", 1)]),
        invocation(),
        &tables,
    )
    .await
    .unwrap();
    assert_eq!(
        serde_json::to_value(&reservation).unwrap(),
        serde_json::json!({"order_id": "o-1", "status": "RESERVED"})
    );
    assert_eq!(available(&tables, "ABC").await, 2);
    assert_eq!(available(&tables, "XYZ").await, 4);
    let record = record(&tables, "o-1").await.unwrap();
    assert_eq!(record["status"].as_s().unwrap(), "RESERVED");
    let items = record["items"].as_l().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].as_m().unwrap()["sku"].as_s().unwrap(), "ABC");
    assert_eq!(items[0].as_m().unwrap()["quantity"].as_n().unwrap(), "3");
    assert!(
        chrono::DateTime::parse_from_rfc3339(record["reserved_at"].as_s().unwrap()).is_ok(),
        "{record:?}"
    );
}

#[tokio::test]
async fn out_of_stock_is_ok_recorded_and_reserves_nothing() {
    let tables = tables(&[("ABC", 5), ("XYZ", 1)]).await;
    let reservation = reserve_stock(
        order("o-2", &[("ABC", 2), ("XYZ", 2), ("NOPE", 1)]),
        invocation(),
        &tables,
    )
    .await
    .unwrap();
    assert_eq!(reservation.status, Status::OutOfStock);
    // A SKU that is not in the inventory table has no stock either.
    assert_eq!(reservation.short_skus, vec!["NOPE", "XYZ"]);
    assert!(!reservation.already_recorded);
    // All or nothing: ABC, which had stock, was not decremented.
    assert_eq!(available(&tables, "ABC").await, 5);
    assert_eq!(available(&tables, "XYZ").await, 1);
    let record = record(&tables, "o-2").await.unwrap();
    assert_eq!(record["status"].as_s().unwrap(), "OUT_OF_STOCK");
    assert_eq!(skus(&record["short_skus"]), vec!["NOPE", "XYZ"]);
    assert!(record.contains_key("recorded_at"), "{record:?}");
}

#[tokio::test]
async fn an_order_reserved_before_is_ok_and_not_reserved_twice() {
    let tables = tables(&[("ABC", 5)]).await;
    let first = reserve_stock(order("o-3", &[("ABC", 2)]), invocation(), &tables)
        .await
        .unwrap();
    // A new event for the same order (the dedup store would normally skip it; the table is the
    // last line of defence).
    let again = reserve_stock(order("o-3", &[("ABC", 2)]), invocation(), &tables)
        .await
        .unwrap();
    assert_eq!(first.status, Status::Reserved);
    assert_eq!(again.status, Status::Reserved);
    assert!(again.already_recorded);
    assert_eq!(available(&tables, "ABC").await, 3);

    // The same holds for an order recorded out of stock.
    let short = reserve_stock(order("o-4", &[("ABC", 9)]), invocation(), &tables)
        .await
        .unwrap();
    let short_again = reserve_stock(order("o-4", &[("ABC", 9)]), invocation(), &tables)
        .await
        .unwrap();
    assert_eq!(short.status, Status::OutOfStock);
    assert_eq!(short_again.status, Status::OutOfStock);
    assert_eq!(short_again.short_skus, vec!["ABC"]);
    assert!(short_again.already_recorded);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_orders_racing_for_ten_units_never_oversell() {
    let tables = tables(&[("LAST", 10)]).await;
    let orders = (0..20).map(|n| {
        let tables = &tables;
        async move {
            reserve_stock(
                order(&format!("race-{n}"), &[("LAST", 1)]),
                invocation(),
                tables,
            )
            .await
            .unwrap()
        }
    });
    let outcomes = futures_util::future::join_all(orders).await;
    let reserved = outcomes
        .iter()
        .filter(|outcome| outcome.status == Status::Reserved)
        .count();
    let short = outcomes
        .iter()
        .filter(|outcome| outcome.status == Status::OutOfStock)
        .count();
    assert_eq!((reserved, short), (10, 10), "{outcomes:?}");
    assert_eq!(available(&tables, "LAST").await, 0);
    for (n, outcome) in outcomes.iter().enumerate() {
        let record = record(&tables, &format!("race-{n}")).await.unwrap();
        let expected = if outcome.status == Status::Reserved {
            "RESERVED"
        } else {
            "OUT_OF_STOCK"
        };
        assert_eq!(record["status"].as_s().unwrap(), expected);
    }
}

#[tokio::test]
async fn a_store_failure_is_an_error_to_retry() {
    let mut tables = tables(&[("ABC", 5)]).await;
    tables.inventory = "no-such-table".into();
    let error = reserve_stock(order("o-5", &[("ABC", 1)]), invocation(), &tables)
        .await
        .unwrap_err();
    assert!(error.to_string().starts_with("order o-5: "), "{error}");
    assert!(record(&tables, "o-5").await.is_none());
}

/// A DynamoDB endpoint whose `TransactWriteItems` answers the first `conflicts` calls (all, with
/// `None`) with `TransactionCanceledException` for a `TransactionConflict`, each answer after
/// `delay`, and succeeds afterwards.
async fn conflicting_dynamodb(conflicts: Option<usize>, delay: Duration) -> (FaultServer, Tables) {
    let calls = AtomicUsize::new(0);
    let server = FaultServer::start(move |_: &Request| {
        let call = calls.fetch_add(1, Ordering::SeqCst);
        let answer = if conflicts.is_none_or(|conflicts| call < conflicts) {
            let mut answer = Response::json(
                400,
                serde_json::json!({
                    "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
                    "Message": "Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict, None]",
                    "CancellationReasons": [
                        {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"},
                        {"Code": "None"}
                    ]
                })
                .to_string(),
            );
            answer
                .headers
                .push(("x-amzn-errortype".into(), "TransactionCanceledException".into()));
            answer
        } else {
            Response::json(200, "{}")
        };
        answer.delayed(delay)
    })
    .unwrap();
    let client = Client::new(&eventbridge_lambda_testing::sdk_config(&server.endpoint()).await);
    let tables = Tables {
        client,
        inventory: "inventory".into(),
        reservations: "reservations".into(),
    };
    (server, tables)
}

/// The transactions the endpoint received (every request must be one).
fn transactions(server: &FaultServer) -> usize {
    let requests = server.requests();
    for request in &requests {
        assert_eq!(
            request.header("x-amz-target"),
            Some("DynamoDB_20120810.TransactWriteItems")
        );
    }
    requests.len()
}

#[tokio::test]
async fn a_transaction_conflict_is_retried_until_it_goes_through() {
    let (server, tables) = conflicting_dynamodb(Some(3), Duration::ZERO).await;
    let reservation = reserve_stock(order("o-6", &[("ABC", 1)]), invocation(), &tables)
        .await
        .unwrap();
    assert_eq!(reservation.status, Status::Reserved);
    assert_eq!(
        transactions(&server),
        4,
        "3 conflicts, then the transaction"
    );
}

#[tokio::test]
async fn a_conflict_that_persists_is_a_typed_error_after_the_last_attempt() {
    let (server, tables) = conflicting_dynamodb(None, Duration::ZERO).await;
    let ctx = invocation();
    let error = reserve_stock(order("o-7", &[("ABC", 1)]), ctx.clone(), &tables)
        .await
        .unwrap_err();
    assert!(SystemTime::now() < ctx.deadline());
    assert!(
        matches!(
            error,
            InventoryError::Conflict {
                attempts: 5,
                stop: Stop::AttemptsExhausted,
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(transactions(&server), CONFLICT_RETRY.max_attempts as usize);
}

#[tokio::test]
async fn conflict_retries_end_before_the_invocations_deadline() {
    // Each answer takes 100 ms and the retries may use 150 ms (the invocation ends in 1.15 s,
    // less the 1 s margin): a second transaction at most.
    let (server, tables) = conflicting_dynamodb(None, Duration::from_millis(100)).await;
    let ctx = invocation_ending_in(1.15);
    let error = reserve_stock(order("o-8", &[("ABC", 1)]), ctx.clone(), &tables)
        .await
        .unwrap_err();
    assert!(SystemTime::now() < ctx.deadline());
    assert!(
        matches!(
            error,
            InventoryError::Conflict {
                stop: Stop::DeadlineReached,
                ..
            }
        ),
        "{error}"
    );
    let requests = transactions(&server);
    assert!((1..=2).contains(&requests), "{requests}");
}

/// Template and code agree: every sample the template's rules route to this function
/// (events/routing/routing.json, which sam-template's routing test checks against the rules)
/// decodes as the handler's detail type, through the function's own pipeline.
#[tokio::test]
async fn every_sample_the_template_routes_here_decodes_as_the_handlers_type() {
    let dispatcher = reserve_stock_dispatcher(Box::leak(Box::new(tables(&[]).await)));
    let samples = eventbridge_lambda_testing::routed_samples("InventoryFunction").unwrap();
    assert!(
        !samples.is_empty(),
        "routing.json sends nothing to InventoryFunction"
    );
    for (name, payload) in samples {
        if let Err(error) = dispatcher.decode(&payload) {
            panic!("{name} is routed to InventoryFunction but its handler rejects it: {error}");
        }
    }
}

//! The handler against a real DynamoDB API (moto server on loopback) through the real SDK client,
//! fed the way Lambda feeds it: an SQS batch through the framework's dispatcher.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use aws_sdk_dynamodb::types::AttributeValue;
use eventbridge_lambda::Context;
use eventbridge_lambda_testing::{MotoServer, shared_moto};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

fn moto() -> &'static MotoServer {
    shared_moto()
}

/// A fresh shipments table, laid out as `template.yaml` declares it (key `order_id`).
async fn shipments() -> Shipments {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let client = Client::new(&moto().sdk_config().await);
    let table = format!(
        "shipments-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    eventbridge_lambda_testing::create_table(&client, &table, "order_id")
        .await
        .unwrap();
    Shipments { client, table }
}

async fn shipment(
    shipments: &Shipments,
    order_id: &str,
) -> Option<HashMap<String, AttributeValue>> {
    eventbridge_lambda_testing::get_item(&shipments.client, &shipments.table, "order_id", order_id)
        .await
        .unwrap()
}

fn sample(name: &str) -> Value {
    let path = format!("{}/../../events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The function's own pipeline (what the generated `main` runs: decode, de-duplication on
/// `order_id`, the handler), over `shipments`, with an in-memory de-duplication store.
fn dispatcher(
    shipments: Shipments,
) -> eventbridge_lambda::Dispatcher<
    OrderCreated,
    impl eventbridge_lambda::dispatch::EventHandler<OrderCreated>,
> {
    request_shipment_dispatcher(Box::leak(Box::new(shipments)))
}

#[tokio::test]
async fn an_sqs_batch_records_every_order_and_a_bad_record_fails_alone() {
    let shipments = shipments().await;
    let mut batch = sample("sqs-order-created-batch.json");
    let good: Vec<(String, String)> = batch["Records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|record| {
            let body: Value = serde_json::from_str(record["body"].as_str().unwrap()).unwrap();
            (
                body["detail"]["order_id"].as_str().unwrap().to_owned(),
                body["detail"]["items"]
                    .as_array()
                    .unwrap()
                    .len()
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(good.len(), 2);
    // A third record whose body is an order without items: it fails, the others do not.
    let mut bad = batch["Records"][0].clone();
    bad["messageId"] = "bad-record".into();
    let mut body: Value = serde_json::from_str(bad["body"].as_str().unwrap()).unwrap();
    body["id"] = "bad-event".into();
    body["detail"]["order_id"] = "bad-order".into();
    body["detail"].as_object_mut().unwrap().remove("items");
    bad["body"] = body.to_string().into();
    batch["Records"].as_array_mut().unwrap().insert(1, bad);

    let dispatcher = dispatcher(shipments.clone());
    let payload = serde_json::to_vec(&batch).unwrap();
    let response = dispatcher
        .invoke(&payload, Context::default())
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        json!({"batchItemFailures": [{"itemIdentifier": "bad-record"}]})
    );
    for (order_id, lines) in &good {
        let record = shipment(&shipments, order_id).await.unwrap();
        assert_eq!(record["status"].as_s().unwrap(), "REQUESTED", "{record:?}");
        assert_eq!(&record["items"].as_l().unwrap().len().to_string(), lines);
        assert!(
            chrono::DateTime::parse_from_rfc3339(record["requested_at"].as_s().unwrap()).is_ok()
        );
    }
    assert!(shipment(&shipments, "bad-order").await.is_none());

    // The same batch redelivered: nothing new is written, the good records succeed again.
    let again = dispatcher
        .invoke(&payload, Context::default())
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&again).unwrap(),
        json!({"batchItemFailures": [{"itemIdentifier": "bad-record"}]})
    );
}

#[tokio::test]
async fn an_existing_request_is_a_duplicate_and_ok() {
    let shipments = shipments().await;
    let event: Event<OrderCreated> = serde_json::from_value(sample("order-created.json")).unwrap();
    let order_id = event.detail.order_id.clone();
    let first = request_shipment(event.clone(), &shipments).await.unwrap();
    let written = shipment(&shipments, &order_id).await.unwrap();
    // A new event for the same order, past the de-duplication store.
    let again = request_shipment(event.with_id("another-event"), &shipments)
        .await
        .unwrap();
    assert!(!first.duplicate);
    assert!(again.duplicate);
    assert_eq!(
        serde_json::to_value(&again).unwrap(),
        json!({"order_id": order_id, "status": "REQUESTED", "duplicate": true})
    );
    // The first request is kept as written.
    assert_eq!(shipment(&shipments, &order_id).await.unwrap(), written);
}

#[tokio::test]
async fn a_store_failure_is_an_error_and_the_records_are_redelivered() {
    let mut shipments = shipments().await;
    shipments.table = "no-such-table".into();
    let dispatcher = dispatcher(shipments);
    let batch = sample("sqs-order-created-batch.json");
    // Both records fail: the invocation fails, so both messages are redelivered (whatever the
    // event source mapping's response types).
    let error = dispatcher
        .invoke(&serde_json::to_vec(&batch).unwrap(), Context::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            eventbridge_lambda::EventError::BatchFailed { records: 2 }
        ),
        "{error}"
    );
}

/// Template and code agree: every sample the template's rules route to this function
/// (events/routing/routing.json, which sam-template's routing test checks against the rules)
/// decodes as the handler's detail type, through the function's own pipeline.
#[tokio::test]
async fn every_sample_the_template_routes_here_decodes_as_the_handlers_type() {
    let dispatcher = dispatcher(shipments().await);
    let samples = eventbridge_lambda_testing::routed_samples("ShippingFunction").unwrap();
    assert!(
        !samples.is_empty(),
        "routing.json sends nothing to ShippingFunction"
    );
    for (name, payload) in samples {
        if let Err(error) = dispatcher.decode(&payload) {
            panic!("{name} is routed to ShippingFunction but its handler rejects it: {error}");
        }
    }
}

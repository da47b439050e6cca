//! The same kind of handler behind an SQS queue (a rule targets the queue, the function consumes
//! it with `FunctionResponseTypes: [ReportBatchItemFailures]`). The framework recognises the batch
//! from the payload: every record is decoded, de-duplicated and handled on its own, and only the
//! failed ones are returned in `batchItemFailures`, to be redelivered (then the queue's DLQ).
//!
//! `dedup_key = order_id` de-duplicates on the order, so a producer's re-send (a new event id)
//! is still caught; with the store of `DEDUP_TABLE`, across execution environments.

use eventbridge_lambda::{Event, OrderCreated, handler};
use serde::Serialize;

/// What was done for one order.
#[derive(Debug, Serialize)]
struct Packed {
    order_id: String,
    parcels: usize,
}

/// Why an order cannot be packed.
#[derive(Debug, thiserror::Error)]
#[error("order {0} has no items to pack")]
struct NothingToPack(String);

#[handler(dedup_key = order_id)]
async fn pack(event: Event<OrderCreated>) -> Result<Packed, NothingToPack> {
    let order = event.detail;
    if order.items.is_empty() {
        return Err(NothingToPack(order.order_id));
    }
    Ok(Packed {
        parcels: order.items.len(),
        order_id: order.order_id,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use eventbridge_lambda::Context;
    use serde_json::{Value, json};

    fn order(event_id: &str, order_id: &str, items: Value) -> String {
        json!({
            "version": "0", "id": event_id, "detail-type": "OrderCreated",
            "source": "com.ecommerce.orders", "account": "123456789012",
            "time": "2026-11-30T10:00:00Z", "region": "us-east-1", "resources": [],
            "detail": {"order_id": order_id, "customer_email": "customer@example.com",
                       "items": items, "timestamp": "2026-11-30T10:00:00Z"}
        })
        .to_string()
    }

    /// An SQS event as Lambda delivers it: each body is an EventBridge event.
    fn batch(bodies: &[String]) -> Vec<u8> {
        let records: Vec<Value> = bodies
            .iter()
            .enumerate()
            .map(|(i, body)| json!({"messageId": format!("m-{i}"), "body": body,
                "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:packing"}))
            .collect();
        serde_json::to_vec(&json!({ "Records": records })).unwrap()
    }

    #[tokio::test]
    async fn a_bad_record_fails_alone_and_a_resent_order_is_a_duplicate() {
        let one_item = json!([{"sku": "ABC", "quantity": 1}]);
        let payload = batch(&[
            order("e-1", "o-1", one_item.clone()),
            order("e-2", "o-2", json!([])),
            order("e-3", "o-1", one_item), // the producer re-sent o-1: a new event id
        ]);
        let response = pack_dispatcher()
            .invoke(&payload, Context::default())
            .await
            .unwrap();
        assert_eq!(
            serde_json::to_value(&response).unwrap(),
            json!({"batchItemFailures": [{"itemIdentifier": "m-1"}]})
        );
    }
}

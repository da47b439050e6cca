//! The shipment request record written to `SHIPMENTS_TABLE`.

use aws_sdk_dynamodb::types::AttributeValue;
use eventbridge_lambda::OrderCreated;
use std::collections::HashMap;

/// Status of a freshly requested shipment.
pub const REQUESTED: &str = "REQUESTED";

/// The item stored for `order`: key `order_id`, `status` = `REQUESTED`, the order's `items`
/// (`[{sku, quantity}]`), `requested_at` (RFC 3339) and, when known, the `event_id` it came from.
/// The customer's address is not stored.
pub fn shipment_item(
    order: &OrderCreated,
    event_id: Option<&str>,
    requested_at: chrono::DateTime<chrono::Utc>,
) -> HashMap<String, AttributeValue> {
    let items = order
        .items
        .iter()
        .map(|item| {
            AttributeValue::M(HashMap::from([
                ("sku".to_owned(), AttributeValue::S(item.sku.clone())),
                (
                    "quantity".to_owned(),
                    AttributeValue::N(item.quantity.to_string()),
                ),
            ]))
        })
        .collect();
    let mut record = HashMap::from([
        (
            "order_id".to_owned(),
            AttributeValue::S(order.order_id.clone()),
        ),
        ("status".to_owned(), AttributeValue::S(REQUESTED.to_owned())),
        ("items".to_owned(), AttributeValue::L(items)),
        (
            "requested_at".to_owned(),
            AttributeValue::S(requested_at.to_rfc3339()),
        ),
    ]);
    if let Some(id) = event_id {
        record.insert("event_id".to_owned(), AttributeValue::S(id.to_owned()));
    }
    record
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn record_holds_the_items_and_never_the_address() {
        let order: OrderCreated = serde_json::from_value(serde_json::json!({
            "order_id": "o-1", "customer_email": "customer@example.com",
            "items": [{"sku": "ABC", "quantity": 2}, {"sku": "XYZ", "quantity": 1}],
            "timestamp": "2023-10-27T10:00:00Z"
        }))
        .unwrap();
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z")
            .unwrap()
            .to_utc();
        let record = shipment_item(&order, Some("e-1"), at);
        assert_eq!(record["order_id"].as_s().unwrap(), "o-1");
        assert_eq!(record["status"].as_s().unwrap(), "REQUESTED");
        assert_eq!(
            record["requested_at"].as_s().unwrap(),
            "2026-11-20T10:00:00+00:00"
        );
        assert_eq!(record["event_id"].as_s().unwrap(), "e-1");
        let items = record["items"].as_l().unwrap();
        assert_eq!(items[1].as_m().unwrap()["sku"].as_s().unwrap(), "XYZ");
        assert_eq!(items[1].as_m().unwrap()["quantity"].as_n().unwrap(), "1");
        assert!(!format!("{record:?}").contains("customer"), "{record:?}");
        assert!(!shipment_item(&order, None, at).contains_key("event_id"));
    }
}

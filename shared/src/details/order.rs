//! The shop's `OrderCreated` event (`source` = `com.ecommerce.orders`).

use crate::{EmailAddress, TypedDetail};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The detail of an `OrderCreated` event, exactly as the order service publishes it, plus optional
/// fields that older events lack.
///
/// ```
/// use eventbridge_lambda::OrderCreated;
/// let order: OrderCreated = serde_json::from_str(r#"{
///     "order_id": "8d1f0c5e-3b0a-4d1e-9f57-2f1c3a7b9e10",
///     "customer_email": "customer@example.com",
///     "items": [{"sku": "ABC", "quantity": 2}],
///     "timestamp": "2023-10-27T10:00:00Z"
/// }"#).unwrap();
/// assert_eq!(order.items[0].quantity, 2);
/// assert_eq!(order.store_id, None); // optional fields default to None
/// // The address never appears in Debug output:
/// assert!(!format!("{order:?}").contains("customer@example.com"));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TypedDetail)]
#[detail(source = "com.ecommerce.orders", detail_type = "OrderCreated")]
pub struct OrderCreated {
    /// The order's id (a UUID); also the natural business key for de-duplication.
    pub order_id: String,
    /// Where the confirmation goes. Masked in `Debug`/`Display`.
    pub customer_email: EmailAddress,
    /// What was ordered.
    pub items: Vec<OrderItem>,
    /// When the order was created.
    #[serde(with = "super::rfc3339")]
    pub timestamp: DateTime<Utc>,
    /// ISO 4217 currency of `total` (e.g. `EUR`). Optional: older events lack it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Order total in major units of `currency`. A JSON number so that rules can use
    /// `numeric` matching (e.g. a fraud check above a value). Optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<f64>,
    /// The store (tenant) the order belongs to. Optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<String>,
}

/// One line of an order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderItem {
    /// Stock keeping unit.
    pub sku: String,
    /// How many units.
    pub quantity: u32,
}

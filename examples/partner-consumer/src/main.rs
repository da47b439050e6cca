//! The customer's side of the partner integration: a function on a **partner event bus** (a bus
//! created with `EventSourceName`), receiving the orders the shop's partner publisher forwards
//! with PutPartnerEvents. The event's `source` is the partner event source
//! (`aws.partner/<partner>/<name>`), so the detail is read as the partner's own shape rather than
//! through `OrderCreated` (whose `source` is the shop's bus).
//!
//! [`examples/partner-chain/template.yaml`](../../partner-chain/template.yaml) wires the whole
//! chain for `localbus serve`: order → partner publisher → PutPartnerEvents → partner bus → this
//! function.

use eventbridge_lambda::{Detail, Event, handler};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::borrow::Cow;

/// An order as the partner forwards it (the shop's `OrderCreated` without the customer's e-mail
/// address).
#[derive(Debug, Clone, Deserialize)]
pub struct PartnerOrder {
    /// The shop's order id.
    pub order_id: String,
    /// The store the order belongs to.
    pub store_id: Option<String>,
    /// What was ordered.
    #[serde(default)]
    pub items: Vec<serde_json::Value>,
    /// Present only if the partner leaked it: refused.
    pub customer_email: Option<String>,
}

/// Accepts an `OrderCreated` from any partner event source: the source's name differs per
/// customer (`aws.partner/shop.example/<store>`), so `TypedDetail`'s one fixed `source` does
/// not fit, and [`Detail`] is written by hand.
impl Detail for PartnerOrder {
    fn expected() -> Cow<'static, str> {
        "an OrderCreated from a partner event source (aws.partner/…)".into()
    }

    fn accepts(source: &str, detail_type: &str) -> bool {
        source.starts_with("aws.partner/") && detail_type == "OrderCreated"
    }

    fn decode(
        _source: &str,
        _detail_type: &str,
        detail: &RawValue,
    ) -> Result<Self, serde_json::Error> {
        serde_json::from_str(detail.get())
    }
}

/// What the function did with an order.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Received {
    /// The order.
    pub order_id: String,
    /// The partner event source it came from.
    pub source: String,
    /// The number of order lines.
    pub lines: usize,
}

/// Why an order was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    /// The partner forwarded personal data it must not forward.
    #[error("order {order_id} from {source_name} carries the customer's e-mail address")]
    PersonalData {
        /// The order.
        order_id: String,
        /// The partner event source.
        source_name: String,
    },
}

/// Records one forwarded order (here: a log line and the answer).
#[handler]
async fn receive_partner_order(event: Event<PartnerOrder>) -> Result<Received, ReceiveError> {
    let order = &event.detail;
    if order.customer_email.is_some() {
        return Err(ReceiveError::PersonalData {
            order_id: order.order_id.clone(),
            source_name: event.source.clone(),
        });
    }
    tracing::info!(order_id = %order.order_id, source = %event.source, "partner order received");
    Ok(Received {
        order_id: order.order_id.clone(),
        source: event.source.clone(),
        lines: order.items.len(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use eventbridge_lambda::Context;

    fn forwarded(detail: &str) -> Vec<u8> {
        format!(
            r#"{{"version":"0","id":"e-1","detail-type":"OrderCreated","source":"aws.partner/shop.example/store-eu-001","account":"123456789012","time":"2026-11-30T10:00:00Z","region":"us-east-1","resources":[],"detail":{detail}}}"#
        )
        .into_bytes()
    }

    #[tokio::test]
    async fn a_forwarded_order_is_received() {
        let answer = receive_partner_order_dispatcher()
            .invoke(
                &forwarded(
                    r#"{"order_id":"o-1","store_id":"store-eu-001","items":[{"sku":"ABC"}]}"#,
                ),
                Context::default(),
            )
            .await
            .unwrap();
        assert_eq!(
            serde_json::to_value(&answer).unwrap(),
            serde_json::json!({"order_id": "o-1", "source": "aws.partner/shop.example/store-eu-001", "lines": 1})
        );
    }

    #[tokio::test]
    async fn personal_data_and_other_sources_are_refused() {
        let pipeline = receive_partner_order_dispatcher();
        let leaked = pipeline
            .invoke(
                &forwarded(r#"{"order_id":"o-2","customer_email":"a@b.example"}"#),
                Context::default(),
            )
            .await
            .unwrap_err();
        assert!(leaked.to_string().contains("e-mail address"), "{leaked}");
        let shop = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../events/order-created.json"
        ))
        .unwrap();
        assert!(pipeline.invoke(&shop, Context::default()).await.is_err());
    }
}

//! An event router: one function for several detail types. The enum derives `Detail`, so each
//! event is decoded into the variant whose type declares its `source` and `detail-type`;
//! `#[detail(other)]` keeps every other event instead of rejecting it (without a catch-all, an
//! event of another type fails with a typed `UnexpectedType` error).

use eventbridge_lambda::{Detail, Event, InstanceStateChange, OrderCreated, TypedDetail, handler};
use serde::Deserialize;

/// A detail type of our own: two lines of attributes.
#[derive(Debug, Deserialize, TypedDetail)]
#[detail(source = "com.ecommerce.payments", detail_type = "RefundIssued")]
struct RefundIssued {
    order_id: String,
    amount: f64,
}

/// Everything this function is subscribed to.
#[derive(Debug, Detail)]
enum ShopEvent {
    Order(OrderCreated),
    Refund(RefundIssued),
    Instance(InstanceStateChange),
    /// Any other event the rule lets through, kept whole.
    #[detail(other)]
    Other(serde_json::Value),
}

#[handler]
async fn route(event: Event<ShopEvent>) -> Result<String, std::convert::Infallible> {
    let summary = match &event.detail {
        ShopEvent::Order(order) => {
            format!("order {} ({} lines)", order.order_id, order.items.len())
        }
        ShopEvent::Refund(refund) => format!("refund of {} for {}", refund.amount, refund.order_id),
        ShopEvent::Instance(change) => {
            format!("instance {} is {}", change.instance_id, change.state)
        }
        ShopEvent::Other(detail) => format!(
            "{} / {} kept as is ({} fields)",
            event.source,
            event.detail_type,
            detail.as_object().map_or(0, serde_json::Map::len)
        ),
    };
    tracing::info!(%summary, "routed");
    Ok(summary)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use eventbridge_lambda::Context;

    fn sample(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/../../events/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    async fn routed(payload: &[u8]) -> String {
        let response = route_dispatcher()
            .invoke(payload, Context::default())
            .await
            .unwrap();
        serde_json::from_str(&serde_json::to_string(&response).unwrap()).unwrap()
    }

    #[tokio::test]
    async fn each_type_reaches_its_variant() {
        assert!(
            routed(&sample("order-created.json"))
                .await
                .starts_with("order ")
        );
        assert!(
            routed(&sample("ec2-stopped.json"))
                .await
                .ends_with(" is stopped")
        );
        let refund = br#"{"version": "0", "id": "e-refund", "source": "com.ecommerce.payments",
            "detail-type": "RefundIssued", "account": "123456789012", "time": "2026-11-30T10:00:00Z",
            "region": "us-east-1", "resources": [], "detail": {"order_id": "o-1", "amount": 12.5}}"#;
        assert_eq!(routed(refund).await, "refund of 12.5 for o-1");
        let other = sample("cleanrooms-protected-query-failed.json");
        assert!(routed(&other).await.contains("kept as is"));
    }
}

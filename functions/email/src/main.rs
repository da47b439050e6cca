//! **email**: sends the customer a confirmation e-mail when an `OrderCreated` event arrives.
//!
//! Subscribed to `OrderCreated` on the orders bus (see `template.yaml`). The message is composed
//! by [`message::compose`]; the address only ever appears masked in logs and responses.

use eventbridge_lambda::{Context, Event, OrderCreated, handler};
use serde::Serialize;

mod message;

/// Configuration read once at cold start.
#[derive(Debug)]
struct Config {
    /// The address confirmations are sent from (`SENDER_ADDRESS`).
    sender: String,
}

impl Config {
    async fn from_env() -> Result<Self, ConfigError> {
        let sender =
            std::env::var("SENDER_ADDRESS").unwrap_or_else(|_| "orders@example.com".to_owned());
        if !sender.contains('@') {
            return Err(ConfigError::Sender(sender));
        }
        Ok(Self { sender })
    }
}

/// Invalid configuration: the cold start fails with this message.
#[derive(Debug, thiserror::Error)]
enum ConfigError {
    #[error("SENDER_ADDRESS {0:?} is not an e-mail address")]
    Sender(String),
}

/// What the function did, returned to the caller and stored for duplicate deliveries.
#[derive(Debug, Serialize, PartialEq)]
struct Confirmation {
    order_id: String,
    /// Masked recipient, e.g. `c***@example.com`.
    recipient: String,
    subject: String,
}

/// Why a confirmation could not be sent.
#[derive(Debug, thiserror::Error)]
enum EmailError {
    #[error("order {order_id}: recipient {recipient} is not a deliverable address")]
    InvalidRecipient { order_id: String, recipient: String },
}

// One confirmation per order, even when the producer re-sends it as a new event.
#[handler(state = Config::from_env, dedup_key = order_id)]
async fn send_confirmation(
    event: Event<OrderCreated>,
    ctx: Context,
    config: &Config,
) -> Result<Confirmation, EmailError> {
    let order = &event.detail;
    let recipient = order.customer_email.masked();
    if !message::is_deliverable(order.customer_email.as_str()) {
        return Err(EmailError::InvalidRecipient {
            order_id: order.order_id.clone(),
            recipient,
        });
    }
    let email = message::compose(order, &config.sender);
    tracing::info!(
        order_id = %order.order_id,
        recipient = %order.customer_email,
        request_id = %ctx.request_id,
        lines = order.items.len(),
        "order confirmation composed"
    );
    Ok(Confirmation {
        order_id: order.order_id.clone(),
        recipient,
        subject: email.subject,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn order_event(email: &str) -> Event<OrderCreated> {
        let detail = serde_json::json!({
            "order_id": "8d1f0c5e-3b0a-4d1e-9f57-2f1c3a7b9e10",
            "customer_email": email,
            "items": [{"sku": "ABC", "quantity": 2}],
            "timestamp": "2023-10-27T10:00:00Z"
        });
        Event::new(serde_json::from_value(detail).unwrap()).with_id("e-1")
    }

    fn config() -> Config {
        Config {
            sender: "orders@shop.example".into(),
        }
    }

    #[tokio::test]
    async fn confirmation_names_the_order_and_masks_the_address() {
        let confirmation = send_confirmation(
            order_event("customer@example.com"),
            Context::default(),
            &config(),
        )
        .await
        .unwrap();
        assert_eq!(confirmation.recipient, "c***@example.com");
        assert_eq!(
            confirmation.subject,
            "Your order 8d1f0c5e-3b0a-4d1e-9f57-2f1c3a7b9e10 is confirmed"
        );
        let json = serde_json::to_string(&confirmation).unwrap();
        assert!(!json.contains("customer@example.com"), "{json}");
    }

    #[tokio::test]
    async fn undeliverable_address_is_a_typed_error() {
        let error = send_confirmation(order_event("nobody"), Context::default(), &config())
            .await
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "order 8d1f0c5e-3b0a-4d1e-9f57-2f1c3a7b9e10: recipient *** is not a deliverable address"
        );
    }
}

//! **email**: sends the customer a confirmation e-mail when an `OrderCreated` event arrives.
//!
//! Subscribed to `OrderCreated` on the orders bus (see `template.yaml`). The message is composed
//! by [`message::compose`] and sent through Amazon SES v2 from `SENDER_ADDRESS`
//! ([`mailer::send`]); the address only ever appears masked in logs, errors and responses.

use eventbridge_lambda::{Context, Event, OrderCreated, handler};
use serde::Serialize;

mod mailer;
mod message;

/// Configuration and the SES client, built once at cold start.
#[derive(Debug)]
struct Config {
    /// The address confirmations are sent from (`SENDER_ADDRESS`, a verified SES identity).
    sender: String,
    /// The SES v2 client.
    ses: aws_sdk_sesv2::Client,
}

impl Config {
    async fn from_env() -> Result<Self, ConfigError> {
        let sender =
            std::env::var("SENDER_ADDRESS").unwrap_or_else(|_| "orders@example.com".to_owned());
        if !sender.contains('@') {
            return Err(ConfigError::Sender(sender));
        }
        let config = eventbridge_lambda::aws::sdk_config().await;
        Ok(Self {
            sender,
            ses: aws_sdk_sesv2::Client::new(&config),
        })
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
    #[error("order {order_id}: confirmation to {recipient} not sent: {source}")]
    Send {
        order_id: String,
        recipient: String,
        #[source]
        source: mailer::SendError,
    },
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
    let message_id =
        mailer::send(&config.ses, &email)
            .await
            .map_err(|source| EmailError::Send {
                order_id: order.order_id.clone(),
                recipient: recipient.clone(),
                source,
            })?;
    tracing::info!(
        order_id = %order.order_id,
        recipient = %order.customer_email,
        message_id = %message_id,
        "order confirmation sent"
    );
    Ok(Confirmation {
        order_id: order.order_id.clone(),
        recipient,
        subject: email.subject,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use aws_sdk_sesv2::config::{Credentials, Region};
    use eventbridge_lambda_testing::MotoServer;
    use std::sync::OnceLock;

    /// One moto server for this test binary (its watchdog stops it when the tests end).
    fn moto() -> &'static MotoServer {
        static MOTO: OnceLock<MotoServer> = OnceLock::new();
        MOTO.get_or_init(|| MotoServer::start().expect("moto server (source scripts/env.sh)"))
    }

    /// Messages moto's SES recorded as sent.
    fn sent_messages() -> Vec<serde_json::Value> {
        moto().sent_emails().unwrap()
    }

    fn order_event(order_id: &str, email: &str) -> Event<OrderCreated> {
        let detail = serde_json::json!({
            "order_id": order_id,
            "customer_email": email,
            "items": [{"sku": "ABC", "quantity": 2}],
            "timestamp": "2023-10-27T10:00:00Z"
        });
        Event::new(serde_json::from_value(detail).unwrap()).with_id("e-1")
    }

    /// A configuration against moto; the sender is created as an identity when `verified`.
    async fn config(sender: &str, verified: bool) -> Config {
        let sdk = eventbridge_lambda::aws::config_loader()
            .endpoint_url(moto().endpoint())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
            .load()
            .await;
        let ses = aws_sdk_sesv2::Client::new(&sdk);
        if verified {
            ses.create_email_identity()
                .email_identity(sender)
                .send()
                .await
                .unwrap();
        }
        Config {
            sender: sender.to_owned(),
            ses,
        }
    }

    #[tokio::test]
    async fn the_confirmation_is_sent_through_ses_and_the_response_is_masked() {
        let config = config("orders@shop.example", true).await;
        let order_id = "8d1f0c5e-3b0a-4d1e-9f57-2f1c3a7b9e10";
        let confirmation = send_confirmation(
            order_event(order_id, "customer@example.com"),
            Context::default(),
            &config,
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

        // SES really has the message: from the sender, to the full address, with the body.
        let sent: Vec<_> = sent_messages()
            .into_iter()
            .filter(|message| message["subject"] == confirmation.subject.as_str())
            .collect();
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert_eq!(sent[0]["source"], "orders@shop.example");
        assert_eq!(
            sent[0]["destinations"]["ToAddresses"],
            serde_json::json!(["customer@example.com"])
        );
        assert_eq!(
            sent[0]["body"],
            format!("Thank you for your order {order_id}.\n\nItems:\n  2 x ABC\n")
        );
    }

    #[tokio::test]
    async fn an_unverified_sender_is_a_typed_error_without_the_address() {
        let config = config("unverified@shop.example", false).await;
        let error = send_confirmation(
            order_event("o-unverified", "customer@example.com"),
            Context::default(),
            &config,
        )
        .await
        .unwrap_err();
        let text = error.to_string();
        assert!(
            text.starts_with("order o-unverified: confirmation to c***@example.com not sent: SES SendEmail failed: "),
            "{text}"
        );
        assert!(!text.contains("customer@example.com"), "{text}");
        assert!(
            sent_messages()
                .iter()
                .all(|message| message["subject"] != "Your order o-unverified is confirmed")
        );
    }

    #[tokio::test]
    async fn undeliverable_address_is_a_typed_error() {
        let config = config("orders@shop.example", false).await;
        let error = send_confirmation(
            order_event("8d1f0c5e-3b0a-4d1e-9f57-2f1c3a7b9e10", "nobody"),
            Context::default(),
            &config,
        )
        .await
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "order 8d1f0c5e-3b0a-4d1e-9f57-2f1c3a7b9e10: recipient *** is not a deliverable address"
        );
    }
    /// Template and code agree: every sample the template's rules route to this function
    /// (events/routing/routing.json, which sam-template's routing test checks against the rules)
    /// decodes as the handler's detail type, through the function's own pipeline.
    #[tokio::test]
    async fn every_sample_the_template_routes_here_decodes_as_the_handlers_type() {
        let dispatcher = send_confirmation_dispatcher(Box::leak(Box::new(
            config("orders@shop.example", false).await,
        )));
        let samples = eventbridge_lambda_testing::routed_samples("EmailFunction").unwrap();
        assert!(
            !samples.is_empty(),
            "routing.json sends nothing to EmailFunction"
        );
        for (name, payload) in samples {
            if let Err(error) = dispatcher.decode(&payload) {
                panic!("{name} is routed to EmailFunction but its handler rejects it: {error}");
            }
        }
    }
}

//! Forwarding one order to its store's partner event source.

use crate::registry::{Registry, RegistryError};
use eventbridge_lambda::publish::{
    Delivery, Entry, PublishError, Publisher, is_retryable_entry_code,
};
use eventbridge_lambda::{Event, OrderCreated, OrderItem};
use serde::Serialize;

/// The detail sent to partners: the order without personal data.
#[derive(Debug, Serialize, PartialEq)]
pub struct PartnerOrder<'a> {
    /// The order id: the stable key partner consumers de-duplicate on.
    pub order_id: &'a str,
    /// The store.
    pub store_id: &'a str,
    /// What was ordered.
    pub items: &'a [OrderItem],
    /// When the order was created.
    pub timestamp: String,
    /// Currency of `total`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<&'a str>,
    /// Order total.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<f64>,
}

/// What happened to the order (the function's response).
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Forwarded {
    /// Delivered to the partner event source.
    Sent {
        /// The source.
        source: String,
        /// The partner event's id.
        event_id: String,
    },
    /// The order has no store: nothing to forward.
    NoStore,
    /// No source is registered for the store (the guide: do nothing).
    NotRegistered {
        /// The store.
        store_id: String,
    },
    /// The store's source was deleted earlier: nothing sent.
    SourceDeleted {
        /// The store.
        store_id: String,
    },
    /// The send failed permanently: the registry record was marked `DELETED`.
    SourceRemoved {
        /// The store.
        store_id: String,
        /// The error code.
        code: String,
    },
}

/// Why the order must be retried.
#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    /// The registry failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The event could not be built.
    #[error("order {order_id}: {error}")]
    Build {
        /// The order.
        order_id: String,
        /// The cause.
        #[source]
        error: PublishError,
    },
    /// Still failing after the publisher's retries.
    #[error(
        "order {order_id}: PutPartnerEvents to {source_name} still failing after {attempts} attempts: {code}: {message}"
    )]
    StillFailing {
        /// The order.
        order_id: String,
        /// The source.
        source_name: String,
        /// Last error code.
        code: String,
        /// Last message.
        message: String,
        /// Sends made.
        attempts: u32,
    },
}

/// Forwards `event` as the guide describes (see the crate docs).
///
/// # Errors
/// [`ForwardError`] when the event must be retried.
pub async fn forward(
    event: &Event<OrderCreated>,
    registry: &Registry,
    publisher: &Publisher,
) -> Result<Forwarded, ForwardError> {
    let order = &event.detail;
    let Some(store_id) = order.store_id.as_deref() else {
        tracing::info!(order_id = %order.order_id, "order has no store_id; nothing to forward");
        return Ok(Forwarded::NoStore);
    };
    let Some(registration) = registry.lookup(store_id).await? else {
        tracing::info!(order_id = %order.order_id, store_id, "no partner event source registered for the store; nothing sent");
        return Ok(Forwarded::NotRegistered {
            store_id: store_id.to_owned(),
        });
    };
    if !registration.accepts_events() {
        tracing::info!(order_id = %order.order_id, store_id, "the store's partner event source was deleted; nothing sent");
        return Ok(Forwarded::SourceDeleted {
            store_id: store_id.to_owned(),
        });
    }
    let detail = PartnerOrder {
        order_id: &order.order_id,
        store_id,
        items: &order.items,
        timestamp: order.timestamp.to_rfc3339(),
        currency: order.currency.as_deref(),
        total: order.total,
    };
    let build = |error| ForwardError::Build {
        order_id: order.order_id.clone(),
        error,
    };
    let detail =
        serde_json::to_string(&detail).map_err(|error| build(PublishError::Serialize(error)))?;
    let mut entry =
        Entry::raw(registration.source.as_str(), "OrderCreated", detail).map_err(build)?;
    if let Some(time) = event.time {
        entry = entry.with_time(time);
    }
    let report = publisher.publish(&[entry]).await.map_err(build)?;
    match report.deliveries.into_iter().next() {
        Some(Delivery::Delivered { event_id, .. }) => {
            tracing::info!(order_id = %order.order_id, source = %registration.source, %event_id, "forwarded to the partner event source");
            Ok(Forwarded::Sent {
                source: registration.source.to_string(),
                event_id,
            })
        }
        Some(Delivery::Failed {
            code,
            message,
            attempts,
        }) if is_retryable_entry_code(&code) || is_transient(&code) => {
            Err(ForwardError::StillFailing {
                order_id: order.order_id.clone(),
                source_name: registration.source.to_string(),
                code,
                message,
                attempts,
            })
        }
        Some(Delivery::Failed { code, message, .. }) => {
            registry
                .mark_deleted(store_id, &format!("{code}: {message}"))
                .await?;
            tracing::warn!(
                order_id = %order.order_id, store_id, source = %registration.source, code, message,
                "permanent failure: the source is marked DELETED in the registry and the order was not forwarded"
            );
            Ok(Forwarded::SourceRemoved {
                store_id: store_id.to_owned(),
                code,
            })
        }
        None => Err(ForwardError::StillFailing {
            order_id: order.order_id.clone(),
            source_name: registration.source.to_string(),
            code: "NoResult".into(),
            message: "the publisher returned no outcome".into(),
            attempts: 0,
        }),
    }
}

/// Request-level codes the publisher treats as transient (retried, then surfaced here).
fn is_transient(code: &str) -> bool {
    matches!(
        eventbridge_lambda::publish::RequestErrorKind::classify(Some(code)),
        eventbridge_lambda::publish::RequestErrorKind::Throttled
            | eventbridge_lambda::publish::RequestErrorKind::Transient
    ) || code == "RequestFailed"
}

//! Forwarding one order to its store's partner event source.

use crate::registry::{Registry, RegistryError};
use eventbridge_lambda::publish::{
    Delivery, Entry, FailureClass, NOT_SENT, PublishError, Publisher,
};
use eventbridge_lambda::retry::Deadline;
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
    /// The source does not exist (`ResourceNotFoundException`): the registry record was marked
    /// `DELETED`, the order was not forwarded.
    SourceRemoved {
        /// The store.
        store_id: String,
        /// The error code.
        code: String,
    },
}

/// Why the invocation fails (Lambda retries it, then sends the event to the function's
/// on-failure destination). The source stays `ACTIVE` in every case.
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
    /// EventBridge rejected the event itself (malformed or oversized detail, an invalid field):
    /// re-sending it unchanged cannot succeed, so it goes to the on-failure destination.
    #[error(
        "order {order_id}: PutPartnerEvents to {source_name} rejected the event: {code}: {message}"
    )]
    Rejected {
        /// The order.
        order_id: String,
        /// The source.
        source_name: String,
        /// The error code.
        code: String,
        /// The message.
        message: String,
    },
    /// Not delivered, or not known to be, after the publisher's retries: the partner's own access
    /// or quota, throttling, service errors, an unknown outcome, an unrecognized code.
    #[error(
        "order {order_id}: PutPartnerEvents to {source_name} failed after {attempts} attempts ({class}): {code}: {message}"
    )]
    StillFailing {
        /// The order.
        order_id: String,
        /// The source.
        source_name: String,
        /// What the failure means.
        class: FailureClass,
        /// Last error code.
        code: String,
        /// Last message.
        message: String,
        /// Sends made.
        attempts: u32,
    },
}

/// Forwards `event` as the guide describes (see the crate docs), publishing by `deadline`.
///
/// # Errors
/// [`ForwardError`] when the event must be retried or set aside.
pub async fn forward(
    event: &Event<OrderCreated>,
    registry: &Registry,
    publisher: &Publisher,
    deadline: Deadline,
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
    let report = publisher
        .publish_before(&[entry], deadline)
        .await
        .map_err(build)?;
    let delivery = report
        .deliveries
        .into_iter()
        .next()
        .unwrap_or_else(|| Delivery::Failed {
            class: FailureClass::UnknownOutcome,
            code: NOT_SENT.into(),
            message: "the publisher returned no outcome".into(),
            attempts: 0,
        });
    let (class, code, message, attempts) = match delivery {
        Delivery::Delivered { event_id, .. } => {
            tracing::info!(order_id = %order.order_id, source = %registration.source, %event_id, "forwarded to the partner event source");
            return Ok(Forwarded::Sent {
                source: registration.source.to_string(),
                event_id,
            });
        }
        Delivery::Failed {
            class,
            code,
            message,
            attempts,
        } => (class, code, message, attempts),
    };
    match class {
        FailureClass::DestinationGone => {
            registry
                .mark_deleted(store_id, &format!("{code}: {message}"))
                .await?;
            tracing::warn!(
                order_id = %order.order_id, store_id, source = %registration.source, code, message,
                "the partner event source does not exist: marked DELETED in the registry; the order was not forwarded"
            );
            Ok(Forwarded::SourceRemoved {
                store_id: store_id.to_owned(),
                code,
            })
        }
        FailureClass::EventRejected => {
            tracing::error!(
                order_id = %order.order_id, source = %registration.source, code, message,
                "PutPartnerEvents rejected the event; it goes to the on-failure destination, the source stays active"
            );
            Err(ForwardError::Rejected {
                order_id: order.order_id.clone(),
                source_name: registration.source.to_string(),
                code,
                message,
            })
        }
        class => {
            tracing::error!(
                order_id = %order.order_id, source = %registration.source, cause = %class, code, message, attempts,
                "PutPartnerEvents failed; the invocation fails (Lambda retries it, then the on-failure destination), the source stays active"
            );
            Err(ForwardError::StillFailing {
                order_id: order.order_id.clone(),
                source_name: registration.source.to_string(),
                class,
                code,
                message,
                attempts,
            })
        }
    }
}

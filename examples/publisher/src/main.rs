//! A handler that publishes: each `OrderCreated` becomes an `OrderAccepted` event on another bus.
//! The publisher (feature `publish`) checks at cold start that the bus exists (PutEvents to a
//! missing bus succeeds and drops the event), re-sends only retryable entry failures, and stops
//! before the invocation's deadline, so a failure is a typed error instead of a timeout.

use eventbridge_lambda::publish::{Delivery, Entry, PublishError, Publisher};
use eventbridge_lambda::retry::Deadline;
use eventbridge_lambda::settings::required;
use eventbridge_lambda::{Context, Event, OrderCreated, TypedDetail, handler};
use serde::Serialize;

/// The event this function publishes.
#[derive(Debug, Serialize, serde::Deserialize, TypedDetail)]
#[detail(source = "com.ecommerce.fulfilment", detail_type = "OrderAccepted")]
struct OrderAccepted {
    order_id: String,
    units: u32,
}

/// The publisher for `EVENT_BUS_NAME`, built once per execution environment.
async fn init() -> Result<Publisher, eventbridge_lambda::BoxError> {
    let bus = required("EVENT_BUS_NAME")?;
    let config = eventbridge_lambda::aws::sdk_config().await;
    Ok(Publisher::put_events(aws_sdk_eventbridge::Client::new(&config), bus).await?)
}

/// Why the order must be retried (Lambda retries, then its on-failure destination).
#[derive(Debug, thiserror::Error)]
enum AcceptError {
    #[error("order {order_id}: the event could not be published")]
    Publish {
        order_id: String,
        #[source]
        source: PublishError,
    },
    #[error("order {order_id}: OrderAccepted not delivered: {code}: {message}")]
    NotDelivered {
        order_id: String,
        code: String,
        message: String,
    },
}

#[handler(state = init, dedup_key = order_id)]
async fn accept(
    event: Event<OrderCreated>,
    ctx: Context,
    publisher: &Publisher,
) -> Result<String, AcceptError> {
    let order_id = event.detail.order_id;
    let accepted = OrderAccepted {
        units: event.detail.items.iter().map(|item| item.quantity).sum(),
        order_id: order_id.clone(),
    };
    let publish_error = |source| AcceptError::Publish {
        order_id: order_id.clone(),
        source,
    };
    let entry = Entry::new(&accepted).map_err(publish_error)?;
    let report = publisher
        .publish_before(&[entry], Deadline::of_invocation(ctx.deadline()))
        .await
        .map_err(publish_error)?;
    match report.deliveries.into_iter().next() {
        Some(Delivery::Delivered { event_id, .. }) => Ok(event_id),
        Some(Delivery::Failed { code, message, .. }) => Err(AcceptError::NotDelivered {
            order_id,
            code,
            message,
        }),
        None => Err(AcceptError::NotDelivered {
            order_id,
            code: "NoResult".to_owned(),
            message: "the publisher reported nothing for the entry".to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use eventbridge_lambda_testing::shared_moto;

    #[tokio::test]
    async fn an_order_is_published_as_order_accepted_on_a_real_endpoint() {
        let moto = shared_moto();
        let client = aws_sdk_eventbridge::Client::new(&moto.sdk_config().await);
        client
            .create_event_bus()
            .name("fulfilment-example")
            .send()
            .await
            .unwrap();
        let publisher = Publisher::put_events(client, "fulfilment-example")
            .await
            .unwrap();
        let payload = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../events/order-created.json"
        ))
        .unwrap();
        let mut ctx = Context::default();
        ctx.deadline = u64::try_from(
            (std::time::SystemTime::now() + std::time::Duration::from_secs(10))
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis(),
        )
        .unwrap();
        let response = accept_dispatcher(Box::leak(Box::new(publisher)))
            .invoke(&payload, ctx)
            .await
            .unwrap();
        let event_id: String =
            serde_json::from_str(&serde_json::to_string(&response).unwrap()).unwrap();
        assert!(!event_id.is_empty(), "EventBridge gave the event an id");
    }

    #[tokio::test]
    async fn a_missing_bus_is_refused_at_cold_start() {
        let moto = shared_moto();
        let client = aws_sdk_eventbridge::Client::new(&moto.sdk_config().await);
        let error = Publisher::put_events(client, "no-such-bus")
            .await
            .unwrap_err();
        assert!(matches!(error, PublishError::BusNotFound(_)), "{error}");
    }
}

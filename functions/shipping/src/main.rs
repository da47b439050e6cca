//! **shipping**: records a shipment request for every order, consuming the SQS queue
//! (`shipping-notifications-queue`) that the `OrderCreated` rule targets.
//!
//! The framework decodes each SQS batch (every body is an EventBridge event) and reports failed
//! records as `batchItemFailures`, so a bad record is redelivered alone. Each order gets one item in
//! `SHIPMENTS_TABLE`, written with a conditional put: a request that already exists is a duplicate
//! delivery and succeeds without writing again.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use eventbridge_lambda::settings::{self, MissingSetting};
use eventbridge_lambda::{Event, OrderCreated, handler};
use serde::Serialize;

mod request;

/// Clients and configuration, built once at cold start.
#[derive(Debug, Clone)]
struct Shipments {
    client: Client,
    /// `SHIPMENTS_TABLE`: key `order_id` (S).
    table: String,
}

impl Shipments {
    async fn from_env() -> Result<Self, MissingSetting> {
        let table = settings::required("SHIPMENTS_TABLE")?;
        let config = eventbridge_lambda::aws::sdk_config().await;
        Ok(Self {
            client: Client::new(&config),
            table,
        })
    }
}

/// What the function did for one order (stored for duplicate deliveries).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct ShipmentRequest {
    order_id: String,
    /// Always `REQUESTED`.
    status: &'static str,
    /// True when the request had been recorded by an earlier delivery.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    duplicate: bool,
}

/// Why a shipment request could not be recorded (the record is redelivered).
#[derive(Debug, thiserror::Error)]
enum ShippingError {
    #[error("order {order_id}: shipment request not recorded")]
    Store {
        order_id: String,
        #[source]
        source: SdkError<PutItemError>,
    },
}

// One shipment request per order, even when the producer re-sends it as a new event.
#[handler(state = Shipments::from_env, dedup_key = order_id)]
async fn request_shipment(
    event: Event<OrderCreated>,
    shipments: &Shipments,
) -> Result<ShipmentRequest, ShippingError> {
    let order = &event.detail;
    let item = request::shipment_item(order, event.id.as_deref(), chrono::Utc::now());
    let result = shipments
        .client
        .put_item()
        .table_name(&shipments.table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(order_id)")
        .send()
        .await;
    let duplicate = match result {
        Ok(_) => false,
        Err(error)
            if matches!(
                error.as_service_error(),
                Some(PutItemError::ConditionalCheckFailedException(_))
            ) =>
        {
            true
        }
        Err(error) => {
            return Err(ShippingError::Store {
                order_id: order.order_id.clone(),
                source: error,
            });
        }
    };
    if duplicate {
        tracing::info!(order_id = %order.order_id, "shipment already requested");
    } else {
        tracing::info!(order_id = %order.order_id, lines = order.items.len(), "shipment requested");
    }
    Ok(ShipmentRequest {
        order_id: order.order_id.clone(),
        status: request::REQUESTED,
        duplicate,
    })
}

#[cfg(test)]
mod tests;

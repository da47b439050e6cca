//! **inventory**: reserves stock for every item of an order when an `OrderCreated` event arrives.
//!
//! All lines of the order are reserved in ONE DynamoDB `TransactWriteItems` together with the
//! reservation record ([`table::Tables::reserve`]): every SKU's `available` is decremented under the
//! condition `available >= :q`, so no item goes below zero and an order is reserved completely or
//! not at all. Out of stock is a business outcome, recorded as `OUT_OF_STOCK` and returned `Ok`;
//! an order recorded before is `Ok` too (idempotent). Other failures are errors, retried.
//!
//! A transaction that collides with a concurrent one (`TransactionConflict`) is retried with
//! capped exponential backoff and full jitter ([`CONFLICT_RETRY`]), and never past the
//! invocation's deadline less a margin; then it fails with [`InventoryError::Conflict`].

use eventbridge_lambda::retry::{Deadline, RetryPolicy, Stop};
use eventbridge_lambda::settings::{MissingSetting, required};
use eventbridge_lambda::{Context, Event, OrderCreated, handler};
use serde::Serialize;
use std::time::Duration;

mod order;
mod table;

use order::{Cancellation, TooManySkus};
use table::{Attempt, TableError, Tables};

/// How a reservation that collides with concurrent transactions is retried: at most 5
/// transactions, waits of at most 20 + 40 + 80 + 160 ms, all inside the invocation's deadline less
/// [`INVOCATION_MARGIN`](eventbridge_lambda::retry::INVOCATION_MARGIN). (The SDK's own retries
/// cover throttling and service errors inside each call; a cancelled transaction is not one.)
const CONFLICT_RETRY: RetryPolicy = RetryPolicy {
    max_attempts: 5,
    base_backoff: Duration::from_millis(20),
    max_backoff: Duration::from_millis(200),
    deadline: Duration::from_secs(9),
};

/// Configuration and clients, built once at cold start.
async fn init() -> Result<Tables, MissingSetting> {
    let inventory = required("INVENTORY_TABLE")?;
    let reservations = required("RESERVATIONS_TABLE")?;
    let config = eventbridge_lambda::aws::sdk_config().await;
    Ok(Tables {
        client: aws_sdk_dynamodb::Client::new(&config),
        inventory,
        reservations,
    })
}

/// The recorded state of an order's reservation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum Status {
    /// Every line is reserved.
    Reserved,
    /// At least one SKU lacked stock; nothing was reserved.
    OutOfStock,
}

impl Status {
    fn parse(order_id: &str, text: &str) -> Result<Self, InventoryError> {
        match text {
            "RESERVED" => Ok(Self::Reserved),
            "OUT_OF_STOCK" => Ok(Self::OutOfStock),
            other => Err(InventoryError::UnknownStatus {
                order_id: order_id.to_owned(),
                status: other.to_owned(),
            }),
        }
    }
}

/// What the function did, returned to the caller and stored for duplicate deliveries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct Reservation {
    order_id: String,
    status: Status,
    /// The SKUs without enough stock (`OUT_OF_STOCK` only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    short_skus: Vec<String>,
    /// True when an earlier delivery had already recorded this order.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    already_recorded: bool,
}

/// Why a reservation failed (the event is retried).
#[derive(Debug, thiserror::Error)]
enum InventoryError {
    #[error("order {order_id}: {source}")]
    TooManySkus {
        order_id: String,
        #[source]
        source: TooManySkus,
    },
    #[error("order {order_id}: {source}")]
    Table {
        order_id: String,
        #[source]
        source: TableError,
    },
    #[error(
        "order {order_id}: still conflicting with concurrent transactions after {attempts} attempts ({stop})"
    )]
    Conflict {
        order_id: String,
        attempts: u32,
        stop: Stop,
    },
    #[error("order {order_id}: reservation transaction cancelled: {reasons}")]
    Cancelled { order_id: String, reasons: String },
    #[error("order {order_id}: recorded status {status:?} is not RESERVED or OUT_OF_STOCK")]
    UnknownStatus { order_id: String, status: String },
}

// One reservation per order, even when the producer re-sends it as a new event.
#[handler(state = init, dedup_key = order_id)]
async fn reserve_stock(
    event: Event<OrderCreated>,
    ctx: Context,
    tables: &Tables,
) -> Result<Reservation, InventoryError> {
    let order_id = event.detail.order_id.as_str();
    let table_error = |source| InventoryError::Table {
        order_id: order_id.to_owned(),
        source,
    };
    let lines =
        order::stock_lines(&event.detail.items).map_err(|source| InventoryError::TooManySkus {
            order_id: order_id.to_owned(),
            source,
        })?;
    let mut attempts = CONFLICT_RETRY.start(Some(Deadline::of_invocation(ctx.deadline())));
    loop {
        let attempt = attempts.begin();
        match tables
            .reserve(order_id, &lines)
            .await
            .map_err(table_error)?
        {
            Attempt::Reserved => {
                tracing::info!(order_id, skus = lines.len(), "stock reserved");
                return Ok(Reservation {
                    order_id: order_id.to_owned(),
                    status: Status::Reserved,
                    short_skus: Vec::new(),
                    already_recorded: false,
                });
            }
            Attempt::Cancelled(Cancellation::OutOfStock(short_skus)) => {
                let recorded = tables
                    .record_out_of_stock(order_id, &lines, &short_skus)
                    .await
                    .map_err(table_error)?;
                if !recorded {
                    return already_recorded(tables, order_id).await;
                }
                tracing::warn!(order_id, short_skus = ?short_skus, "out of stock: order not reserved");
                return Ok(Reservation {
                    order_id: order_id.to_owned(),
                    status: Status::OutOfStock,
                    short_skus,
                    already_recorded: false,
                });
            }
            Attempt::Cancelled(Cancellation::AlreadyRecorded) => {
                return already_recorded(tables, order_id).await;
            }
            Attempt::Cancelled(Cancellation::Conflict) => {
                if let Err(stop) = attempts.backoff().await {
                    return Err(InventoryError::Conflict {
                        order_id: order_id.to_owned(),
                        attempts: attempt,
                        stop,
                    });
                }
                tracing::info!(order_id, attempt, "transaction conflict, retrying");
            }
            Attempt::Cancelled(Cancellation::Other(reasons)) => {
                return Err(InventoryError::Cancelled {
                    order_id: order_id.to_owned(),
                    reasons,
                });
            }
        }
    }
}

/// The outcome an earlier delivery recorded for the order.
async fn already_recorded(tables: &Tables, order_id: &str) -> Result<Reservation, InventoryError> {
    let (status, short_skus) =
        tables
            .recorded(order_id)
            .await
            .map_err(|source| InventoryError::Table {
                order_id: order_id.to_owned(),
                source,
            })?;
    let status = Status::parse(order_id, &status)?;
    tracing::info!(order_id, status = ?status, "order already recorded");
    Ok(Reservation {
        order_id: order_id.to_owned(),
        status,
        short_skus,
        already_recorded: true,
    })
}

#[cfg(test)]
mod tests;

//! The DynamoDB side effects: the reservation transaction and the reservation records.

use crate::order::{Cancellation, StockLine, classify};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{BuildError, DisplayErrorContext};
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use std::collections::HashMap;

/// Where stock and reservations live.
#[derive(Debug, Clone)]
pub struct Tables {
    /// The DynamoDB client.
    pub client: Client,
    /// `INVENTORY_TABLE`: key `sku` (S), attribute `available` (N).
    pub inventory: String,
    /// `RESERVATIONS_TABLE`: key `order_id` (S).
    pub reservations: String,
}

/// A failed DynamoDB call (the SDK error with its full context).
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// The request could not be built.
    #[error("request could not be built: {0}")]
    Build(#[from] BuildError),
    /// The call failed.
    #[error("DynamoDB {operation} failed: {}", DisplayErrorContext(&**source))]
    Call {
        /// The API operation.
        operation: &'static str,
        /// The SDK error, whole (code, HTTP response, sources).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A stored reservation record is not in the expected shape.
    #[error("reservation record of order {0} has no readable status")]
    Unreadable(String),
}

impl TableError {
    fn call(
        operation: &'static str,
        error: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::Call {
            operation,
            source: Box::new(error),
        }
    }
}

/// The outcome of one reservation attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Attempt {
    /// Every line was reserved and the reservation recorded.
    Reserved,
    /// The transaction was cancelled; nothing was written.
    Cancelled(Cancellation),
}

fn items_value(lines: &[StockLine]) -> AttributeValue {
    AttributeValue::L(
        lines
            .iter()
            .map(|line| {
                AttributeValue::M(HashMap::from([
                    ("sku".to_owned(), AttributeValue::S(line.sku.clone())),
                    (
                        "quantity".to_owned(),
                        AttributeValue::N(line.quantity.to_string()),
                    ),
                ]))
            })
            .collect(),
    )
}

fn now() -> AttributeValue {
    AttributeValue::S(chrono::Utc::now().to_rfc3339())
}

impl Tables {
    /// Reserves every line and records the reservation in ONE transaction: all or nothing, and
    /// no stock goes below zero (`available >= :q` on every decrement).
    ///
    /// # Errors
    /// A call failure other than a cancelled transaction.
    pub async fn reserve(
        &self,
        order_id: &str,
        lines: &[StockLine],
    ) -> Result<Attempt, TableError> {
        let mut actions = Vec::with_capacity(lines.len() + 1);
        for line in lines {
            let update = Update::builder()
                .table_name(&self.inventory)
                .key("sku", AttributeValue::S(line.sku.clone()))
                .update_expression("SET available = available - :q")
                .condition_expression("available >= :q")
                .expression_attribute_values(":q", AttributeValue::N(line.quantity.to_string()))
                .build()?;
            actions.push(TransactWriteItem::builder().update(update).build());
        }
        let record = Put::builder()
            .table_name(&self.reservations)
            .item("order_id", AttributeValue::S(order_id.to_owned()))
            .item("status", AttributeValue::S("RESERVED".to_owned()))
            .item("items", items_value(lines))
            .item("reserved_at", now())
            .condition_expression("attribute_not_exists(order_id)")
            .build()?;
        actions.push(TransactWriteItem::builder().put(record).build());

        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(actions))
            .send()
            .await
        {
            Ok(_) => Ok(Attempt::Reserved),
            Err(error) => match error.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                    let codes: Vec<Option<&str>> = cancelled
                        .cancellation_reasons()
                        .iter()
                        .map(|reason| reason.code())
                        .collect();
                    Ok(Attempt::Cancelled(classify(&codes, lines)))
                }
                _ => Err(TableError::call("TransactWriteItems", error)),
            },
        }
    }

    /// Records that the order could not be reserved. Returns false when a record of the order
    /// already exists (written by a concurrent delivery).
    ///
    /// # Errors
    /// A call failure.
    pub async fn record_out_of_stock(
        &self,
        order_id: &str,
        lines: &[StockLine],
        short_skus: &[String],
    ) -> Result<bool, TableError> {
        let short = short_skus
            .iter()
            .map(|sku| AttributeValue::S(sku.clone()))
            .collect();
        let result = self
            .client
            .put_item()
            .table_name(&self.reservations)
            .item("order_id", AttributeValue::S(order_id.to_owned()))
            .item("status", AttributeValue::S("OUT_OF_STOCK".to_owned()))
            .item("short_skus", AttributeValue::L(short))
            .item("items", items_value(lines))
            .item("recorded_at", now())
            .condition_expression("attribute_not_exists(order_id)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error)
                if matches!(
                    error.as_service_error(),
                    Some(PutItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Ok(false)
            }
            Err(error) => Err(TableError::call("PutItem", error)),
        }
    }

    /// The recorded status of an order (`RESERVED` / `OUT_OF_STOCK`) and its short SKUs.
    ///
    /// # Errors
    /// A call failure, or a record without a string `status`.
    pub async fn recorded(&self, order_id: &str) -> Result<(String, Vec<String>), TableError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.reservations)
            .key("order_id", AttributeValue::S(order_id.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|error| TableError::call("GetItem", error))?;
        let item = output
            .item()
            .ok_or_else(|| TableError::Unreadable(order_id.to_owned()))?;
        let status = item
            .get("status")
            .and_then(|value| value.as_s().ok())
            .ok_or_else(|| TableError::Unreadable(order_id.to_owned()))?;
        let short = item
            .get("short_skus")
            .and_then(|value| value.as_l().ok())
            .map(|skus| {
                skus.iter()
                    .filter_map(|sku| sku.as_s().ok().cloned())
                    .collect()
            })
            .unwrap_or_default();
        Ok((status.clone(), short))
    }
}

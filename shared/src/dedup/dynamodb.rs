//! The durable store: DynamoDB, with the record layout of Powertools for AWS Lambda.
//!
//! One item per key, in a table whose partition key is `id` (string) and whose TTL attribute is
//! `expiration`:
//!
//! | attribute | meaning |
//! |---|---|
//! | `id` | the key, `<function>#<event id or business key>` |
//! | `status` | `INPROGRESS` or `COMPLETED` |
//! | `expiration` | epoch **seconds** after which the record counts as absent (also the TTL) |
//! | `in_progress_expiration` | epoch **milliseconds**: the Lambda deadline of the claiming invocation |
//! | `data` | the handler's response, as a JSON string (completed records) |
//! | `validation` | a hash of the event's detail, when the key is a business key (Powertools' payload validation attribute) |
//! | `claim_token` | the token of the delivery that holds the claim; completion and release are conditional on it |
//!
//! A claim is one conditional `PutItem` (absent, expired, or in progress past its deadline) that
//! returns the existing item when the condition fails, so a duplicate costs one call and a first
//! delivery two (claim + completion). DynamoDB's TTL deletion may lag by days, so expiry is judged
//! from the timestamps, never from whether the item is still there.

use super::{Claim, ClaimRequest, Completed, DedupStore, Settled, StoreError, now_ms};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::time::Duration;

const IN_PROGRESS: &str = "INPROGRESS";
const COMPLETED: &str = "COMPLETED";
/// Completion and release act only on the claim this delivery made (or on a record that is gone).
const HOLDER_CONDITION: &str = "attribute_not_exists(#id) OR #token = :token";
const CLAIM_CONDITION: &str = "attribute_not_exists(#id) OR #expiry < :now OR \
    (#status = :inprogress AND attribute_exists(#in_progress_expiry) AND #in_progress_expiry < :now_in_millis)";

/// De-duplication records in a DynamoDB table (see the module docs for the layout).
///
/// ```no_run
/// use eventbridge_lambda::dedup::DynamoStore;
/// # async fn demo() {
/// let config = eventbridge_lambda::aws::sdk_config().await;
/// let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&config), "dedup", std::time::Duration::from_secs(3600));
/// # let _ = store;
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    expiry: Duration,
}

impl DynamoStore {
    /// A store on `table`, remembering completed keys for `expiry`.
    pub fn new(client: Client, table: impl Into<String>, expiry: Duration) -> Self {
        Self {
            client,
            table: table.into(),
            expiry,
        }
    }

    /// The table name.
    pub fn table(&self) -> &str {
        &self.table
    }

    fn error(
        &self,
        operation: &'static str,
        key: &str,
        source: impl Into<crate::BoxError>,
    ) -> StoreError {
        StoreError::new(
            "dynamodb",
            operation,
            key,
            TableError {
                table: self.table.clone(),
                source: source.into(),
            },
        )
    }

    fn expiration_seconds(&self, now_ms: u64) -> u64 {
        (now_ms / 1000).saturating_add(self.expiry.as_secs())
    }

    /// What an existing record (returned by a failed claim) means.
    fn classify(
        &self,
        key: &str,
        item: &HashMap<String, AttributeValue>,
    ) -> Result<Claim, StoreError> {
        match item
            .get("status")
            .and_then(|status| status.as_s().ok())
            .map(String::as_str)
        {
            Some(COMPLETED) => {
                let response = match item.get("data").and_then(|data| data.as_s().ok()) {
                    None => None,
                    Some(text) => Some(
                        RawValue::from_string(text.clone())
                            .map_err(|error| self.error("claim", key, error))?,
                    ),
                };
                let payload_hash = item
                    .get("validation")
                    .and_then(|hash| hash.as_s().ok())
                    .cloned();
                Ok(Claim::Completed(Completed {
                    response,
                    payload_hash,
                }))
            }
            Some(IN_PROGRESS) => Ok(Claim::InProgress),
            other => Err(self.error(
                "claim",
                key,
                format!("record has an unexpected status {other:?}"),
            )),
        }
    }
}

#[async_trait]
impl DedupStore for DynamoStore {
    fn name(&self) -> &'static str {
        "dynamodb"
    }

    async fn claim(&self, claim: &ClaimRequest<'_>) -> Result<Claim, StoreError> {
        let key = claim.key;
        let now = now_ms();
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("id", AttributeValue::S(key.to_owned()))
            .item("status", AttributeValue::S(IN_PROGRESS.to_owned()))
            .item(
                "expiration",
                AttributeValue::N(self.expiration_seconds(now).to_string()),
            )
            .item(
                "in_progress_expiration",
                AttributeValue::N(claim.in_progress_until_ms.to_string()),
            )
            .item("claim_token", AttributeValue::S(claim.token.to_owned()));
        if let Some(hash) = claim.payload_hash {
            put = put.item("validation", AttributeValue::S(hash.to_owned()));
        }
        let result = put
            .condition_expression(CLAIM_CONDITION)
            .expression_attribute_names("#id", "id")
            .expression_attribute_names("#expiry", "expiration")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#in_progress_expiry", "in_progress_expiration")
            .expression_attribute_values(":now", AttributeValue::N((now / 1000).to_string()))
            .expression_attribute_values(":now_in_millis", AttributeValue::N(now.to_string()))
            .expression_attribute_values(":inprogress", AttributeValue::S(IN_PROGRESS.to_owned()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Claim::Acquired),
            Err(error) => match error.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(failed)) => {
                    match failed.item() {
                        Some(item) => self.classify(key, item),
                        // Without the old item (an endpoint ignoring ReturnValuesOnConditionCheckFailure),
                        // the safe answer is "another copy holds it": the event is retried, not lost.
                        None => Ok(Claim::InProgress),
                    }
                }
                _ => Err(self.error("claim", key, error)),
            },
        }
    }

    async fn complete(
        &self,
        claim: &ClaimRequest<'_>,
        response: Option<&RawValue>,
    ) -> Result<Settled, StoreError> {
        let key = claim.key;
        let mut assignments = vec![
            "#status = :completed",
            "#expiry = :expiry",
            "#token = :token",
        ];
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("id", AttributeValue::S(key.to_owned()))
            .condition_expression(HOLDER_CONDITION)
            .expression_attribute_names("#id", "id")
            .expression_attribute_names("#token", "claim_token")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#expiry", "expiration")
            .expression_attribute_values(":token", AttributeValue::S(claim.token.to_owned()))
            .expression_attribute_values(":completed", AttributeValue::S(COMPLETED.to_owned()))
            .expression_attribute_values(
                ":expiry",
                AttributeValue::N(self.expiration_seconds(now_ms()).to_string()),
            );
        if let Some(data) = response {
            assignments.push("#data = :data");
            update = update
                .expression_attribute_names("#data", "data")
                .expression_attribute_values(":data", AttributeValue::S(data.get().to_owned()));
        }
        if let Some(hash) = claim.payload_hash {
            assignments.push("#validation = :validation");
            update = update
                .expression_attribute_names("#validation", "validation")
                .expression_attribute_values(":validation", AttributeValue::S(hash.to_owned()));
        }
        let expression = format!("SET {}", assignments.join(", "));
        match update.update_expression(expression).send().await {
            Ok(_) => Ok(Settled::Recorded),
            Err(error)
                if matches!(
                    error.as_service_error(),
                    Some(UpdateItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Ok(Settled::TakenOver)
            }
            Err(error) => Err(self.error("complete", key, error)),
        }
    }

    async fn release(&self, claim: &ClaimRequest<'_>) -> Result<Settled, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("id", AttributeValue::S(claim.key.to_owned()))
            .condition_expression(HOLDER_CONDITION)
            .expression_attribute_names("#id", "id")
            .expression_attribute_names("#token", "claim_token")
            .expression_attribute_values(":token", AttributeValue::S(claim.token.to_owned()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Settled::Recorded),
            Err(error)
                if matches!(
                    error.as_service_error(),
                    Some(DeleteItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Ok(Settled::TakenOver)
            }
            Err(error) => Err(self.error("release", claim.key, error)),
        }
    }
}

/// The table a DynamoDB failure happened on, with the SDK error as its source.
#[derive(Debug, thiserror::Error)]
#[error("table {table}")]
struct TableError {
    table: String,
    #[source]
    source: crate::BoxError,
}

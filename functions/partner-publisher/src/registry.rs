//! The registry of partner event sources: which source (and customer account) serves a store.
//!
//! A DynamoDB table (`PARTNER_SOURCES_TABLE`), partition key `store_id` (S), one item per event
//! generator: `source_name`, `account`, `state` (`PENDING` / `ACTIVE` / `DELETED`), and, once
//! PutPartnerEvents answered that the source does not exist, `failure` and `updated_at`.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::AttributeValue;
use eventbridge_lambda::publish::partner::SourceName;

/// A registered source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    /// The store (event generator) the source serves.
    pub store_id: String,
    /// The partner event source.
    pub source: SourceName,
    /// The customer account.
    pub account: String,
    /// `PENDING`, `ACTIVE` or `DELETED`.
    pub state: String,
}

impl Registration {
    /// Whether events may be sent (`PENDING` sources accept events; AWS drops them until the
    /// customer associates a bus).
    pub fn accepts_events(&self) -> bool {
        self.state != "DELETED"
    }
}

/// A registry failure.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The table could not be read or written.
    #[error("partner source registry {table}: {operation} failed: {}", DisplayErrorContext(&**source))]
    Store {
        /// The table.
        table: String,
        /// The operation.
        operation: &'static str,
        /// The SDK error, whole.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A record is unusable.
    #[error("partner source registry {table}: record for store {store_id:?} is invalid: {reason}")]
    Invalid {
        /// The table.
        table: String,
        /// The store.
        store_id: String,
        /// What is wrong.
        reason: String,
    },
}

/// The registry table.
#[derive(Clone, Debug)]
pub struct Registry {
    client: Client,
    table: String,
}

impl Registry {
    /// The registry in `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    fn store_error(
        &self,
        operation: &'static str,
        error: impl std::error::Error + Send + Sync + 'static,
    ) -> RegistryError {
        RegistryError::Store {
            table: self.table.clone(),
            operation,
            source: Box::new(error),
        }
    }

    /// Records (or replaces) the source of a store. Onboarding does this when a customer
    /// registers; the function itself only reads and marks records.
    ///
    /// # Errors
    /// [`RegistryError::Store`].
    #[cfg(test)]
    pub async fn register(&self, registration: &Registration) -> Result<(), RegistryError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("store_id", AttributeValue::S(registration.store_id.clone()))
            .item(
                "source_name",
                AttributeValue::S(registration.source.to_string()),
            )
            .item("account", AttributeValue::S(registration.account.clone()))
            .item("state", AttributeValue::S(registration.state.clone()))
            .send()
            .await
            .map(|_| ())
            .map_err(|error| self.store_error("PutItem", error))
    }

    /// The source registered for `store_id`, if any.
    ///
    /// # Errors
    /// [`RegistryError`] when the table cannot be read or the record is unusable.
    pub async fn lookup(&self, store_id: &str) -> Result<Option<Registration>, RegistryError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("store_id", AttributeValue::S(store_id.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|error| self.store_error("GetItem", error))?;
        let Some(item) = output.item else {
            return Ok(None);
        };
        let text = |name: &str| item.get(name).and_then(|value| value.as_s().ok()).cloned();
        let invalid = |reason: String| RegistryError::Invalid {
            table: self.table.clone(),
            store_id: store_id.to_owned(),
            reason,
        };
        let source = text("source_name").ok_or_else(|| invalid("no source_name".into()))?;
        let source = SourceName::parse(source).map_err(|error| invalid(error.to_string()))?;
        Ok(Some(Registration {
            store_id: store_id.to_owned(),
            source,
            account: text("account").unwrap_or_default(),
            state: text("state").unwrap_or_else(|| "PENDING".to_owned()),
        }))
    }

    /// Marks a store's source `DELETED` once PutPartnerEvents answered that it does not exist,
    /// keeping why and when.
    ///
    /// # Errors
    /// [`RegistryError::Store`].
    pub async fn mark_deleted(&self, store_id: &str, failure: &str) -> Result<(), RegistryError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("store_id", AttributeValue::S(store_id.to_owned()))
            .update_expression("SET #state = :deleted, failure = :failure, updated_at = :now")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":deleted", AttributeValue::S("DELETED".into()))
            .expression_attribute_values(":failure", AttributeValue::S(failure.to_owned()))
            .expression_attribute_values(":now", AttributeValue::S(chrono::Utc::now().to_rfc3339()))
            .send()
            .await
            .map(|_| ())
            .map_err(|error| self.store_error("UpdateItem", error))
    }
}

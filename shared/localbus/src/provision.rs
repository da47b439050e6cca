//! Creating the template's resources in the local AWS endpoint, as `sam deploy` would in an
//! account: event buses, DynamoDB tables (with their TTL), SQS queues (visibility timeout,
//! redrive policy) and SES identities; then the optional seed items.
//!
//! Everything is idempotent: a resource that exists already is kept, so `send` can provision
//! into a long-running endpoint again and again.

use crate::stack::{ResolveError, Stack};
use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use sam_template::{Destination, Table, Template};
use serde_json::Value;
use std::collections::HashMap;

/// Why a resource could not be created.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ProvisionError {
    /// An AWS call failed.
    #[error("cannot create {what}: {message}")]
    Aws {
        /// The resource.
        what: String,
        /// The SDK's error, with its cause chain.
        message: String,
    },
    /// A name or value of the template cannot be computed.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// The seed file is not what it should be.
    #[error("seed file: {0}")]
    Seed(String),
}

fn aws_error(what: impl Into<String>, error: impl std::error::Error) -> ProvisionError {
    ProvisionError::Aws {
        what: what.into(),
        message: aws_sdk_dynamodb::error::DisplayErrorContext(error).to_string(),
    }
}

/// What was created (or found).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Provisioned {
    pub(crate) buses: usize,
    pub(crate) tables: usize,
    pub(crate) queues: usize,
    pub(crate) identities: usize,
    pub(crate) seed_items: usize,
}

/// Creates every bus, table, queue and SES identity of `template`.
pub(crate) async fn provision(
    config: &SdkConfig,
    template: &Template,
    stack: &Stack,
) -> Result<Provisioned, ProvisionError> {
    let mut done = Provisioned::default();
    let events = aws_sdk_eventbridge::Client::new(config);
    // A partner bus (one with EventSourceName) needs its partner source in the endpoint first;
    // localbus routes events to it itself (serve's partner sources), so it is not created.
    for bus in template
        .buses()
        .iter()
        .filter(|b| !b.is_default && b.event_source_name.is_none())
    {
        let name = stack.physical_name(&bus.logical_id)?;
        match events.create_event_bus().name(name).send().await {
            Ok(_) => {}
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_already_exists_exception()) => {}
            Err(error) => return Err(aws_error(format!("event bus {name}"), error)),
        }
        done.buses += 1;
    }
    let dynamodb = aws_sdk_dynamodb::Client::new(config);
    for table in template.tables() {
        create_table(&dynamodb, table, stack.physical_name(&table.logical_id)?).await?;
        done.tables += 1;
    }
    let sqs = aws_sdk_sqs::Client::new(config);
    // Every queue first, then the redrive policies, which name other queues.
    for queue in template.queues() {
        let name = stack.physical_name(&queue.logical_id)?;
        let mut request = sqs.create_queue().queue_name(name);
        if let Some(seconds) = queue.visibility_timeout {
            request =
                request.attributes(QueueAttributeName::VisibilityTimeout, seconds.to_string());
        }
        if queue.fifo {
            request = request.attributes(QueueAttributeName::FifoQueue, "true");
        }
        request
            .send()
            .await
            .map_err(|error| aws_error(format!("queue {name}"), error))?;
        done.queues += 1;
    }
    for queue in template.queues() {
        let Some(redrive) = &queue.redrive else {
            continue;
        };
        let Destination::Queue(dead_letter) = &redrive.dead_letter_queue else {
            continue;
        };
        let policy = serde_json::json!({
            "deadLetterTargetArn": stack.arn(dead_letter)?,
            "maxReceiveCount": redrive.max_receive_count.unwrap_or(10),
        });
        sqs.set_queue_attributes()
            .queue_url(stack.queue_url(&queue.logical_id)?)
            .attributes(QueueAttributeName::RedrivePolicy, policy.to_string())
            .send()
            .await
            .map_err(|error| aws_error(format!("redrive policy of {}", queue.logical_id), error))?;
    }
    let ses = aws_sdk_sesv2::Client::new(config);
    for identity in template.email_identities() {
        let value = stack.resolve(&identity.identity)?;
        match ses
            .create_email_identity()
            .email_identity(&value)
            .send()
            .await
        {
            Ok(_) => {}
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_already_exists_exception()) => {}
            Err(error) => return Err(aws_error(format!("SES identity {value}"), error)),
        }
        done.identities += 1;
    }
    Ok(done)
}

async fn create_table(
    client: &aws_sdk_dynamodb::Client,
    table: &Table,
    name: &str,
) -> Result<(), ProvisionError> {
    let what = || format!("table {name}");
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest);
    let keys = std::iter::once((&table.partition_key, KeyType::Hash))
        .chain(table.sort_key.iter().map(|key| (key, KeyType::Range)));
    for (key, key_type) in keys {
        request = request
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(&key.name)
                    .attribute_type(ScalarAttributeType::from(key.attribute_type.as_str()))
                    .build()
                    .map_err(|error| aws_error(what(), error))?,
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name(&key.name)
                    .key_type(key_type)
                    .build()
                    .map_err(|error| aws_error(what(), error))?,
            );
    }
    match request.send().await {
        Ok(_) => {}
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception()) =>
        {
            return Ok(());
        }
        Err(error) => return Err(aws_error(what(), error)),
    }
    if let Some(attribute) = &table.ttl_attribute {
        let specification = TimeToLiveSpecification::builder()
            .attribute_name(attribute)
            .enabled(true)
            .build()
            .map_err(|error| aws_error(what(), error))?;
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(specification)
            .send()
            .await
            .map_err(|error| aws_error(what(), error))?;
    }
    Ok(())
}

/// Puts the seed items: `{"<table logical id>": [ {item as plain JSON}, … ], …}`. Strings
/// become `S`, numbers `N`, booleans `BOOL`, `null` `NULL`, arrays `L` and objects `M`.
pub(crate) async fn seed(
    config: &SdkConfig,
    stack: &Stack,
    seed: &Value,
) -> Result<usize, ProvisionError> {
    let Value::Object(tables) = seed else {
        return Err(ProvisionError::Seed(
            "must be an object of table logical ids to lists of items".into(),
        ));
    };
    let client = aws_sdk_dynamodb::Client::new(config);
    let mut count = 0;
    for (table, items) in tables {
        let name = stack.physical_name(table)?;
        let Value::Array(items) = items else {
            return Err(ProvisionError::Seed(format!(
                "{table}: must be a list of items"
            )));
        };
        for item in items {
            let Value::Object(fields) = item else {
                return Err(ProvisionError::Seed(format!(
                    "{table}: an item must be an object"
                )));
            };
            let item: HashMap<String, AttributeValue> = fields
                .iter()
                .map(|(key, value)| (key.clone(), attribute(value)))
                .collect();
            client
                .put_item()
                .table_name(name)
                .set_item(Some(item))
                .send()
                .await
                .map_err(|error| aws_error(format!("seed item in {name}"), error))?;
            count += 1;
        }
    }
    Ok(count)
}

/// A plain JSON value as a DynamoDB attribute.
fn attribute(value: &Value) -> AttributeValue {
    match value {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Number(n) => AttributeValue::N(n.to_string()),
        Value::String(s) => AttributeValue::S(s.clone()),
        Value::Array(list) => AttributeValue::L(list.iter().map(attribute).collect()),
        Value::Object(map) => AttributeValue::M(
            map.iter()
                .map(|(key, value)| (key.clone(), attribute(value)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use serde_json::json;

    #[test]
    fn seed_values_map_to_dynamodb_types() {
        assert_eq!(attribute(&json!("a")), AttributeValue::S("a".into()));
        assert_eq!(attribute(&json!(12)), AttributeValue::N("12".into()));
        assert_eq!(
            attribute(&json!([true, null])),
            AttributeValue::L(vec![AttributeValue::Bool(true), AttributeValue::Null(true)])
        );
    }
}

//! Test conveniences around moto server: one shared server per test binary, and the DynamoDB
//! table helpers the tests use.

use crate::MotoServer;

/// One moto server for the whole test binary, started on first use (its watchdog stops it when
/// the tests end).
///
/// # Panics
/// When moto cannot start: the tests that need it cannot run (run them via scripts/test.sh).
pub fn shared_moto() -> &'static MotoServer {
    static SHARED: std::sync::OnceLock<MotoServer> = std::sync::OnceLock::new();
    SHARED.get_or_init(|| {
        #[allow(clippy::panic)] // test support: a clear failure of the test that needs moto
        MotoServer::start().unwrap_or_else(|error| panic!("{error}"))
    })
}

/// Creates a DynamoDB table with a string partition key `key`, billed per request (as
/// `template.yaml` declares every table).
///
/// # Errors
/// The SDK error when the table cannot be created.
pub async fn create_table(
    client: &aws_sdk_dynamodb::Client,
    name: &str,
    key: &str,
) -> Result<(), aws_sdk_dynamodb::Error> {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    let definition = AttributeDefinition::builder()
        .attribute_name(key)
        .attribute_type(ScalarAttributeType::S)
        .build()?;
    let schema = KeySchemaElement::builder()
        .attribute_name(key)
        .key_type(KeyType::Hash)
        .build()?;
    client
        .create_table()
        .table_name(name)
        .attribute_definitions(definition)
        .key_schema(schema)
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await?;
    Ok(())
}

/// The item of `table` whose string key `key` is `value`, read with strong consistency (what a
/// test asserts on right after the code under test wrote it).
///
/// # Errors
/// The SDK error when the table cannot be read.
pub async fn get_item(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    key: &str,
    value: &str,
) -> Result<
    Option<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>>,
    aws_sdk_dynamodb::Error,
> {
    let output = client
        .get_item()
        .table_name(table)
        .key(
            key,
            aws_sdk_dynamodb::types::AttributeValue::S(value.to_owned()),
        )
        .consistent_read(true)
        .send()
        .await?;
    Ok(output.item)
}

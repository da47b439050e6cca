//! **audit**: writes a normalized audit record for every AWS Clean Rooms event and EC2 instance
//! state change it receives, and logs a structured alert line.
//!
//! The rule in `template.yaml` routes failed / timed-out protected queries and jobs, memberships
//! whose collaboration was deleted or that were removed, and instances that stopped, are shutting
//! down or terminated; the function still handles any Clean Rooms or EC2 state-change event
//! sensibly, grading its severity ([`record::normalize`]). Records are keyed by event id and
//! written with a conditional put, so a redelivered event is not recorded twice.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use eventbridge_lambda::settings::{self, MissingSetting};
use eventbridge_lambda::{Event, handler};
use record::{AuditRecord, Severity};
use serde::Serialize;
use std::collections::HashMap;

mod event;
mod record;

use event::AuditEvent;

/// Clients and configuration, built once at cold start.
#[derive(Debug, Clone)]
struct AuditLog {
    client: Client,
    /// `AUDIT_TABLE`: key `id` (S).
    table: String,
}

impl AuditLog {
    async fn from_env() -> Result<Self, MissingSetting> {
        let table = settings::required("AUDIT_TABLE")?;
        let config = eventbridge_lambda::aws::sdk_config().await;
        Ok(Self {
            client: Client::new(&config),
            table,
        })
    }
}

/// What the function did (returned and stored for duplicate deliveries).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct Audited {
    #[serde(flatten)]
    record: AuditRecord,
    /// True when the record had been written by an earlier delivery.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    duplicate: bool,
}

/// Why an event could not be audited (it is retried).
#[derive(Debug, thiserror::Error)]
enum AuditError {
    #[error("audit record {id} not written")]
    Store {
        id: String,
        #[source]
        source: SdkError<PutItemError>,
    },
}

/// The DynamoDB item of a record (absent optional fields are left out).
fn item(record: &AuditRecord) -> HashMap<String, AttributeValue> {
    let text = |value: &str| AttributeValue::S(value.to_owned());
    let mut item = HashMap::from([
        ("id".to_owned(), text(&record.id)),
        ("source".to_owned(), text(&record.source)),
        ("detail_type".to_owned(), text(&record.detail_type)),
        ("resource".to_owned(), text(&record.resource)),
        ("severity".to_owned(), text(record.severity.as_str())),
        ("summary".to_owned(), text(&record.summary)),
    ]);
    let optional = [
        ("status", &record.status),
        ("account", &record.account),
        ("region", &record.region),
        ("time", &record.time),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            item.insert(name.to_owned(), text(value));
        }
    }
    item
}

#[handler(state = AuditLog::from_env)]
async fn audit(event: Event<AuditEvent>, log: &AuditLog) -> Result<Audited, AuditError> {
    let record = record::normalize(&event);
    let result = log
        .client
        .put_item()
        .table_name(&log.table)
        .set_item(Some(item(&record)))
        .condition_expression("attribute_not_exists(id)")
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
            return Err(AuditError::Store {
                id: record.id,
                source: error,
            });
        }
    };
    if duplicate {
        tracing::info!(id = %record.id, "audit record already written");
    } else if record.severity >= Severity::Medium {
        tracing::warn!(
            alert = true,
            severity = record.severity.as_str(),
            resource = %record.resource,
            status = record.status.as_deref().unwrap_or(""),
            summary = %record.summary,
            "audit alert"
        );
    } else {
        tracing::info!(
            alert = false,
            severity = record.severity.as_str(),
            resource = %record.resource,
            summary = %record.summary,
            "audit record written"
        );
    }
    Ok(Audited { record, duplicate })
}

#[cfg(test)]
mod tests;

//! **partner-publisher** (`PartnerPublisherFunction`): forwards every `OrderCreated` from the
//! orders bus to the partner event source registered for the order's store, as a SaaS partner
//! does for its customers (EventBridge Partner Onboarding Guide).
//!
//! * no `store_id`, or no source registered for the store → nothing is sent (logged);
//! * the registered source was deleted earlier → nothing is sent (logged);
//! * the event is sent with PutPartnerEvents **without the customer's e-mail address**;
//! * a permanent failure (the source or bus no longer exists, access denied, …) marks the
//!   registry record `DELETED` (logged, the outcome is returned);
//! * retryable failures are re-sent by the publisher; if they still fail, the invocation fails so
//!   Lambda retries it and then sends it to the function's on-failure destination.

use eventbridge_lambda::publish::Publisher;
use eventbridge_lambda::settings::{self, MissingSetting};
use eventbridge_lambda::{Event, OrderCreated, handler};

mod forward;
mod registry;

use forward::{ForwardError, Forwarded};
use registry::Registry;

/// Clients built once at cold start.
struct State {
    registry: Registry,
    publisher: Publisher,
}

async fn init() -> Result<State, MissingSetting> {
    let table = settings::required("PARTNER_SOURCES_TABLE")?;
    let config = eventbridge_lambda::aws::sdk_config().await;
    Ok(State {
        registry: Registry::new(aws_sdk_dynamodb::Client::new(&config), table),
        publisher: Publisher::put_partner_events(aws_sdk_eventbridge::Client::new(&config)),
    })
}

#[handler(state = init, dedup_key = order_id)]
async fn forward_order(
    event: Event<OrderCreated>,
    state: &State,
) -> Result<Forwarded, ForwardError> {
    forward::forward(&event, &state.registry, &state.publisher).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use eventbridge_lambda::publish::RetryPolicy;
    use eventbridge_lambda::publish::partner::SourceName;
    use eventbridge_lambda_testing::MotoServer;
    use eventbridge_lambda_testing::fault::{FaultServer, Response};
    use registry::Registration;
    use serde_json::{Value, json};
    use std::time::Duration;

    fn moto() -> &'static MotoServer {
        MotoServer::shared()
    }

    /// A registry table on moto with one ACTIVE source for `store-1`.
    async fn registry(table: &str) -> Registry {
        let client = aws_sdk_dynamodb::Client::new(&moto().sdk_config().await);
        eventbridge_lambda_testing::create_table(&client, table, "store_id")
            .await
            .unwrap();
        let registry = Registry::new(client, table);
        registry
            .register(&Registration {
                store_id: "store-1".into(),
                source: SourceName::new("shop.example.com", "123456789012/store-1").unwrap(),
                account: "123456789012".into(),
                state: "ACTIVE".into(),
            })
            .await
            .unwrap();
        registry
    }

    /// A PutPartnerEvents endpoint answering every entry with `entry_result`.
    async fn partner_api(entry_result: Value) -> (FaultServer, Publisher) {
        let server = FaultServer::start(move |request| {
            let body: Value = serde_json::from_slice(&request.body).unwrap();
            let results: Vec<Value> = body["Entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|_| entry_result.clone())
                .collect();
            Response::json(
                200,
                json!({"FailedEntryCount": 0, "Entries": results}).to_string(),
            )
        })
        .unwrap();
        let client = aws_sdk_eventbridge::Client::new(
            &eventbridge_lambda_testing::sdk_config(&server.endpoint()).await,
        );
        let publisher = Publisher::put_partner_events(client).with_retry(RetryPolicy {
            max_attempts: 3,
            base_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            deadline: Duration::from_secs(5),
        });
        (server, publisher)
    }

    fn order(store: Option<&str>) -> Event<OrderCreated> {
        let mut detail = json!({
            "order_id": "o-1", "customer_email": "customer@example.com",
            "items": [{"sku": "ABC", "quantity": 2}], "timestamp": "2026-11-20T10:00:00Z",
            "currency": "EUR", "total": 20.0
        });
        if let Some(store) = store {
            detail["store_id"] = store.into();
        }
        Event::new(serde_json::from_value(detail).unwrap()).with_id("e-1")
    }

    #[tokio::test]
    async fn forwards_to_the_registered_source_without_the_email_address() {
        let registry = registry("sources-sent").await;
        let (server, publisher) = partner_api(json!({"EventId": "partner-event-1"})).await;
        let outcome = forward::forward(&order(Some("store-1")), &registry, &publisher)
            .await
            .unwrap();
        assert_eq!(
            outcome,
            Forwarded::Sent {
                source: "aws.partner/shop.example.com/123456789012/store-1".into(),
                event_id: "partner-event-1".into()
            }
        );
        let requests = server.requests();
        assert_eq!(requests.len(), 1);
        assert_eq!(
            requests[0].header("x-amz-target"),
            Some("AWSEvents.PutPartnerEvents")
        );
        let body = String::from_utf8(requests[0].body.clone()).unwrap();
        assert!(
            !body.contains("customer@example.com") && !body.contains("customer_email"),
            "{body}"
        );
        let sent: Value = serde_json::from_str(&body).unwrap();
        let entry = &sent["Entries"][0];
        assert_eq!(
            entry["Source"],
            "aws.partner/shop.example.com/123456789012/store-1"
        );
        assert_eq!(entry["DetailType"], "OrderCreated");
        let detail: Value = serde_json::from_str(entry["Detail"].as_str().unwrap()).unwrap();
        assert_eq!(
            detail,
            json!({"order_id": "o-1", "store_id": "store-1", "items": [{"sku": "ABC", "quantity": 2}],
                                  "timestamp": "2026-11-20T10:00:00+00:00", "currency": "EUR", "total": 20.0})
        );
    }

    #[tokio::test]
    async fn nothing_is_sent_without_a_store_or_a_registered_source() {
        let registry = registry("sources-none").await;
        let (server, publisher) = partner_api(json!({"EventId": "x"})).await;
        assert_eq!(
            forward::forward(&order(None), &registry, &publisher)
                .await
                .unwrap(),
            Forwarded::NoStore
        );
        assert_eq!(
            forward::forward(&order(Some("store-unknown")), &registry, &publisher)
                .await
                .unwrap(),
            Forwarded::NotRegistered {
                store_id: "store-unknown".into()
            }
        );
        assert!(server.requests().is_empty());
    }

    #[tokio::test]
    async fn a_permanent_failure_marks_the_source_deleted_and_later_orders_are_not_sent() {
        let registry = registry("sources-gone").await;
        let (server, publisher) =
            partner_api(json!({"ErrorCode": "ResourceNotFoundException", "ErrorMessage": "Event source does not exist"})).await;
        let outcome = forward::forward(&order(Some("store-1")), &registry, &publisher)
            .await
            .unwrap();
        assert_eq!(
            outcome,
            Forwarded::SourceRemoved {
                store_id: "store-1".into(),
                code: "ResourceNotFoundException".into()
            }
        );
        assert_eq!(server.requests().len(), 1, "not retried");
        assert_eq!(
            registry.lookup("store-1").await.unwrap().unwrap().state,
            "DELETED"
        );
        let again = forward::forward(&order(Some("store-1")), &registry, &publisher)
            .await
            .unwrap();
        assert_eq!(
            again,
            Forwarded::SourceDeleted {
                store_id: "store-1".into()
            }
        );
        assert_eq!(server.requests().len(), 1);
    }

    #[tokio::test]
    async fn retryable_failures_that_persist_fail_the_invocation() {
        let registry = registry("sources-retry").await;
        let (server, publisher) =
            partner_api(json!({"ErrorCode": "InternalFailure", "ErrorMessage": "try again"})).await;
        let error = forward::forward(&order(Some("store-1")), &registry, &publisher)
            .await
            .unwrap_err();
        assert!(
            matches!(error, ForwardError::StillFailing { attempts: 3, .. }),
            "{error}"
        );
        assert_eq!(server.requests().len(), 3, "retried by the publisher first");
        assert_eq!(
            registry.lookup("store-1").await.unwrap().unwrap().state,
            "ACTIVE",
            "a retryable failure keeps the source"
        );
    }
}

//! What the publisher tests (Classic `publish`, Custom Event Bus `publish_custom_bus`) set up
//! alike: the SDK configuration pointed at a test server, the retry policy, the events, and the
//! fault server's per-entry answers.

use aws_sdk_eventbridge::config::retry::RetryConfig;
use aws_sdk_eventbridge::config::timeout::TimeoutConfig;
use aws_sdk_eventbridge::config::{Credentials, Region};
use eventbridge_lambda::OrderCreated;
use eventbridge_lambda::aws::SdkConfig;
use eventbridge_lambda::publish::{Delivery, FailureClass, RetryPolicy};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// The configuration of a client of `endpoint` with the SDK's own retries off, so every attempt is
/// the publisher's and countable.
pub async fn single_attempt_config(endpoint: &str) -> SdkConfig {
    eventbridge_lambda::aws::config_loader()
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .retry_config(RetryConfig::standard().with_max_attempts(1))
        .timeout_config(
            TimeoutConfig::builder()
                .operation_attempt_timeout(Duration::from_millis(500))
                .build(),
        )
        .load()
        .await
}

/// A retry policy with millisecond backoffs, so that retries do not slow the tests.
pub fn fast_retry(max_attempts: u32, max_backoff: Duration) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_backoff: Duration::from_millis(1),
        max_backoff,
        deadline: Duration::from_secs(20),
    }
}

/// Order `o-{n}`.
pub fn order(n: usize) -> OrderCreated {
    serde_json::from_value(json!({
        "order_id": format!("o-{n}"), "customer_email": "customer@example.com",
        "items": [{"sku": "ABC", "quantity": 1}], "timestamp": "2026-11-20T10:00:00Z"
    }))
    .unwrap()
}

/// The order id in a request entry's `Detail`.
pub fn order_id(entry: &Value) -> String {
    let detail: Value = serde_json::from_str(entry["Detail"].as_str().unwrap()).unwrap();
    detail["order_id"].as_str().unwrap().to_owned()
}

/// The PutEvents answer to `entries`: each entry answered by
/// `answer(entry, how many times its order was sent)`, counted in `sends`, and the failed count.
pub fn answer_entries(
    entries: &[Value],
    sends: &Mutex<HashMap<String, usize>>,
    answer: impl Fn(&Value, usize) -> Value,
) -> Value {
    let results: Vec<Value> = entries
        .iter()
        .map(|entry| {
            let mut sends = sends.lock().unwrap();
            let seen = sends.entry(order_id(entry)).or_insert(0);
            *seen += 1;
            answer(entry, *seen)
        })
        .collect();
    let failed = results
        .iter()
        .filter(|result| result.get("ErrorCode").is_some())
        .count();
    json!({"FailedEntryCount": failed, "Entries": results})
}

/// A failed delivery's class, code and attempts; a panic for a delivered one.
pub fn failure(delivery: &Delivery) -> (FailureClass, &str, u32) {
    match delivery {
        Delivery::Failed {
            class,
            code,
            attempts,
            ..
        } => (*class, code.as_str(), *attempts),
        other => panic!("expected a failure, got {other:?}"),
    }
}

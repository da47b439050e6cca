//! Cold-start state: `init` runs once per execution environment (read settings, build SDK
//! clients there); every invocation gets `&Limits`. The error type keeps its cause in
//! `source()`, and the framework puts the whole chain in the log line and in Lambda's
//! `errorMessage`.

use eventbridge_lambda::settings::{MissingSetting, required};
use eventbridge_lambda::{Context, Event, OrderCreated, handler};

/// Settings read once at cold start.
struct Limits {
    /// The most units one order may hold.
    max_units: u32,
}

/// Reads `MAX_UNITS` (set in template.yaml's `Environment`).
async fn load_limits() -> Result<Limits, LimitsError> {
    let text = required("MAX_UNITS")?;
    let max_units = text
        .parse()
        .map_err(|source| LimitsError::NotANumber { text, source })?;
    Ok(Limits { max_units })
}

/// Why the settings cannot be used (the cold start fails and Lambda reports it).
#[derive(Debug, thiserror::Error)]
enum LimitsError {
    #[error(transparent)]
    Missing(#[from] MissingSetting),
    #[error("MAX_UNITS={text:?} is not a number")]
    NotANumber {
        text: String,
        #[source]
        source: std::num::ParseIntError,
    },
}

/// Why an order is refused (the event is retried, then goes to the on-failure destination).
#[derive(Debug, thiserror::Error)]
#[error("order {order_id} has {units} units, over the limit of {limit}")]
struct TooLarge {
    order_id: String,
    units: u32,
    limit: u32,
}

#[handler(state = load_limits)]
async fn check_order(
    event: Event<OrderCreated>,
    ctx: Context,
    limits: &Limits,
) -> Result<u32, TooLarge> {
    let units: u32 = event.detail.items.iter().map(|item| item.quantity).sum();
    if units > limits.max_units {
        return Err(TooLarge {
            order_id: event.detail.order_id,
            units,
            limit: limits.max_units,
        });
    }
    tracing::info!(request_id = %ctx.request_id, units, "order within limits");
    Ok(units)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn sample() -> Vec<u8> {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../events/order-created.json"
        ))
        .unwrap()
    }

    #[tokio::test]
    async fn within_and_over_the_limit_through_the_pipeline() {
        let generous = check_order_dispatcher(Box::leak(Box::new(Limits { max_units: 10 })));
        let response = generous
            .invoke(&sample(), Context::default())
            .await
            .unwrap();
        assert_eq!(serde_json::to_string(&response).unwrap(), "2");

        let strict = check_order_dispatcher(Box::leak(Box::new(Limits { max_units: 1 })));
        let error = strict
            .invoke(&sample(), Context::default())
            .await
            .unwrap_err();
        assert_eq!(error.error_type(), "TooLarge");
        assert!(
            error
                .to_string()
                .ends_with("has 2 units, over the limit of 1"),
            "{error}"
        );
    }
}

//! The smallest function: an `async fn` over a typed event, marked `#[handler]`.
//!
//! `#[handler]` adds `fn main` (the Lambda entry point) and `fn count_items_dispatcher`, the
//! function's whole pipeline (decode, de-duplication, handler), which the test below feeds a
//! sample event exactly as Lambda would.

use eventbridge_lambda::{Event, OrderCreated, handler};

/// Counts the units of an order.
#[handler]
async fn count_items(event: Event<OrderCreated>) -> Result<u32, std::convert::Infallible> {
    let units = event.detail.items.iter().map(|item| item.quantity).sum();
    tracing::info!(order_id = %event.detail.order_id, units, "order counted");
    Ok(units)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use eventbridge_lambda::Context;

    fn sample() -> Vec<u8> {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../events/order-created.json"
        ))
        .unwrap()
    }

    #[tokio::test]
    async fn the_function_itself() {
        let event: Event<OrderCreated> = serde_json::from_slice(&sample()).unwrap();
        assert_eq!(count_items(event).await.unwrap(), 2);
    }

    #[tokio::test]
    async fn the_whole_pipeline_with_a_redelivery() {
        let pipeline = count_items_dispatcher();
        let first = pipeline
            .invoke(&sample(), Context::default())
            .await
            .unwrap();
        let again = pipeline
            .invoke(&sample(), Context::default())
            .await
            .unwrap();
        assert_eq!(serde_json::to_string(&first).unwrap(), "2");
        assert_eq!(
            serde_json::to_string(&again).unwrap(),
            "2",
            "the stored response"
        );
    }
}

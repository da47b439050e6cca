//! **partner-publisher** (`PartnerPublisherFunction`): forwards every `OrderCreated` from the
//! orders bus to the partner event source registered for the order's store, as a SaaS partner
//! does for its customers (EventBridge Partner Onboarding Guide).
//!
//! * no `store_id`, or no source registered for the store → nothing is sent (logged);
//! * the registered source was deleted earlier → nothing is sent (logged);
//! * the event is sent with PutPartnerEvents **without the customer's e-mail address**;
//! * the answer says the source (or its bus) does not exist
//!   ([`FailureClass::DestinationGone`](eventbridge_lambda::publish::FailureClass)) → the registry
//!   record is marked `DELETED` (logged, the outcome is returned);
//! * the event itself is rejected → the invocation fails with [`ForwardError::Rejected`] naming the
//!   code, so the event reaches the on-failure destination; the source stays `ACTIVE`;
//! * anything else (the partner's own access or quota, throttling, service errors, an unknown
//!   outcome, an unrecognized code) → re-sent by the publisher where that can help, then the
//!   invocation fails with [`ForwardError::StillFailing`] (Lambda retries it, then the on-failure
//!   destination); the source stays `ACTIVE`; an error-level log line names the cause.
//!
//! The publisher's retries end before the invocation's deadline (less a margin), see
//! [`retry_policy`].

use eventbridge_lambda::publish::{Publisher, RetryPolicy};
use eventbridge_lambda::retry::Deadline;
use eventbridge_lambda::settings::{self, MissingSetting};
use eventbridge_lambda::{Context, Event, OrderCreated, handler};
use std::time::Duration;

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
        publisher: Publisher::put_partner_events(aws_sdk_eventbridge::Client::new(&config))
            .with_retry(retry_policy()),
    })
}

/// The publisher's retries: at most 6 PutPartnerEvents requests per order (the SDK's own retries
/// are off for them), with waits of at most 0.1 + 0.2 + 0.4 + 0.8 + 1.6 = 3.1 s in all, and never
/// past the invocation's deadline less [`INVOCATION_MARGIN`](eventbridge_lambda::retry::INVOCATION_MARGIN)
/// (9 s of the template's 10 s timeout).
fn retry_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 6,
        base_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_secs(2),
        deadline: Duration::from_secs(9),
    }
}

#[handler(state = init, dedup_key = order_id)]
async fn forward_order(
    event: Event<OrderCreated>,
    ctx: Context,
    state: &State,
) -> Result<Forwarded, ForwardError> {
    let deadline = Deadline::of_invocation(ctx.deadline());
    forward::forward(&event, &state.registry, &state.publisher, deadline).await
}

#[cfg(test)]
mod tests;

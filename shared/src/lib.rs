//! # eventbridge-lambda
//!
//! Typed Amazon EventBridge consumers on AWS Lambda.
//!
//! A function is an ordinary `async fn` over a typed [`Event<T>`]; the [`handler`] attribute
//! generates the Lambda entry point around it. Every invocation flows one way:
//!
//! ```text
//! payload ─▶ delivery (direct event, SQS batch or Custom Event Bus batch) ─▶ envelope + typed detail ─▶ dedup ─▶ your fn ─▶ side effects
//! ```
//!
//! * [`envelope`]: the EventBridge envelope [`Event<T>`] (including `replay-name`).
//! * [`detail`]: the [`Detail`](trait@Detail) / [`TypedDetail`](trait@TypedDetail) traits and
//!   their derives, which tie a detail type to its `source` and `detail-type`, so a handler
//!   rejects an event of another type with a typed error.
//! * [`details`]: typed payloads: [`OrderCreated`], the EC2 [`InstanceStateChange`] and every
//!   [`CleanRoomsEvent`].
//! * [`custom_bus`]: the metadata a Custom Event Bus (eventbridgev2) subscriber delivers with an
//!   event ([`Event::custom_bus`]).
//! * [`decode`]: payload bytes → [`Event<T>`] with [`DecodeError`]s that name the problem and the event id.
//! * [`dedup`]: id-based de-duplication behind the [`DedupStore`] trait ([`MemoryStore`] by default).
//! * [`dispatch`]: the per-event pipeline ([`Dispatcher`]) and the three delivery modes (direct
//!   rule target, SQS queue with partial batch failures, Custom Event Bus subscriber).
//! * [`retry`]: capped exponential backoff with full jitter inside a deadline (the invocation's).
//! * [`runtime`] and [`logging`]: the cold-start set-up the macro generates.
//! * [`metrics`]: per-invocation CloudWatch Embedded Metric Format metrics.
//!
//! ## Writing a function
//!
//! ```no_run
//! use eventbridge_lambda::{Event, OrderCreated, handler};
//!
//! #[derive(Debug, thiserror::Error)]
//! #[error("order has no items")]
//! struct EmptyOrder;
//!
//! #[handler]
//! async fn handle(event: Event<OrderCreated>) -> Result<usize, EmptyOrder> {
//!     if event.detail.items.is_empty() {
//!         return Err(EmptyOrder);
//!     }
//!     Ok(event.detail.items.len())
//! }
//! ```
//!
//! The attribute keeps `handle` as written (call it from tests with [`Event::new`]) and adds a
//! `fn main` that initialises logging once, builds optional shared state once, and runs the
//! Lambda runtime loop. See [`handler`] for the accepted signatures.
#![forbid(unsafe_code)]

// Lets the derives' `::eventbridge_lambda::…` paths resolve inside this crate too.
extern crate self as eventbridge_lambda;

#[cfg(feature = "aws")]
pub mod aws;
pub mod custom_bus;
pub mod decode;
pub mod dedup;
pub mod detail;
pub mod details;
pub mod dispatch;
pub mod envelope;
mod error_chain;
pub mod logging;
pub mod metrics;
#[cfg(feature = "publish")]
pub mod publish;
pub mod redact;
pub mod retry;
pub mod runtime;
pub mod settings;

pub use decode::DecodeError;
pub use dedup::{DedupStore, MemoryStore};
pub use detail::{Detail, TypedDetail};
pub use details::cleanrooms::CleanRoomsEvent;
pub use details::ec2::{InstanceState, InstanceStateChange};
pub use details::order::{OrderCreated, OrderItem};
pub use dispatch::{Dispatcher, EventError};
pub use envelope::Event;
pub use error_chain::ErrorChain;
pub use redact::EmailAddress;

/// The Lambda invocation context (request id, deadline, function ARN …), from `lambda_runtime`.
pub use lambda_runtime::Context;

/// Marks an `async fn` over [`Event<T>`] as the function's handler and generates its `main`.
///
/// Accepted signatures (arguments after the event in any order, each optional):
///
/// ```text
/// async fn name(event: Event<T>) -> Result<R, E>
/// async fn name(event: Event<T>, ctx: Context) -> Result<R, E>
/// async fn name(event: Event<T>, state: &S) -> Result<R, E>          // with #[handler(state = init)]
/// async fn name(event: Event<T>, ctx: Context, state: &S) -> Result<R, E>
/// ```
///
/// * `T` implements [`Detail`]: a [`TypedDetail`] struct, an enum such as [`CleanRoomsEvent`], or
///   `serde_json::Value` for the raw envelope.
/// * `R: serde::Serialize` is the function's response (the stored response for duplicates).
/// * `E` is any error convertible into a boxed error (a `std::error::Error + Send + Sync` type,
///   `String`, `anyhow::Error`): it is logged and reported as the invocation error with its whole
///   `source()` chain, and the event is retried.
/// * `state = path` names an `async fn() -> Result<S, E>` that runs **once** at cold start (build
///   SDK clients there); the handler receives `&S`. An initialisation error fails the cold start.
/// * `dedup_key = field` de-duplicates on a field of the detail (e.g. `dedup_key = order_id`)
///   instead of the event id, so a producer's re-send (a new event id) is still caught. The field
///   implements [`dispatch::BusinessKey`] (strings, integers, and `Option`s of them: `None` falls
///   back to the event id); an empty key fails the event, and the same key with a different
///   detail fails as [`EventError::PayloadMismatch`] instead of being skipped.
/// * `custom_bus_partial_failures` reports the failed records of a Custom Event Bus batch as
///   `batchItemFailures` instead of failing the invocation
///   ([`Dispatcher::with_custom_bus_partial_failures`], unconfirmed by AWS's documentation).
///
/// With cold-start state and the context:
///
/// ```no_run
/// use eventbridge_lambda::{CleanRoomsEvent, Context, Event, handler};
///
/// struct Config { table: String }
///
/// async fn load() -> Result<Config, std::env::VarError> {
///     Ok(Config { table: std::env::var("AUDIT_TABLE")? })
/// }
///
/// #[handler(state = load)]
/// async fn audit(event: Event<CleanRoomsEvent>, config: &Config, ctx: Context) -> Result<String, std::io::Error> {
///     Ok(format!("{} {} {}", config.table, event.detail.detail_type(), ctx.request_id))
/// }
/// ```
///
/// Compile errors point at your own tokens (the exact diagnostics are pinned by the UI tests in
/// `shared/tests/ui`):
///
/// ```compile_fail
/// use eventbridge_lambda::{Event, OrderCreated, handler};
/// #[handler]
/// fn not_async(event: Event<OrderCreated>) -> Result<(), std::io::Error> { Ok(()) }
/// ```
///
/// ```compile_fail
/// use eventbridge_lambda::{Event, OrderCreated, handler};
/// #[handler]
/// async fn wrong_argument(event: String) -> Result<(), std::io::Error> { Ok(()) }
/// ```
///
/// ```compile_fail
/// use eventbridge_lambda::{Event, OrderCreated, handler};
/// #[handler]
/// async fn no_result(event: Event<OrderCreated>) -> u32 { 1 }
/// ```
///
/// ```compile_fail
/// use eventbridge_lambda::{Event, OrderCreated, handler};
/// struct Mailer;
/// #[handler] // a `&S` argument needs `state = ...`
/// async fn missing_state(event: Event<OrderCreated>, mailer: &Mailer) -> Result<(), std::io::Error> { Ok(()) }
/// ```
pub use eventbridge_lambda_macros::handler;

/// The boxed error type of the Lambda runtime.
pub type BoxError = lambda_runtime::Error;

#[doc(hidden)]
pub mod __private {
    //! Items used by the code that `#[handler]` and the derives generate. Not a stable API.
    pub use crate::runtime::start;
    pub use serde;
    pub use serde_json;
}

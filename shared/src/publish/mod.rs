//! Typed publishing to EventBridge (feature `publish`).
//!
//! The SDK alone loses events in two ways: per-entry failures come back inside an HTTP 200 (the
//! SDK never retries them), and PutEvents to a bus that does not exist succeeds and drops the
//! event. [`Publisher`] closes both gaps:
//!
//! * [`Entry::new`] takes `source` and `detail-type` from the detail's [`TypedDetail`] type;
//! * entries are batched by the API's limits: 10 per PutEvents call, 20 per PutPartnerEvents
//!   call, and a total size under the configured limit (256 KiB by default), computed with AWS's
//!   formula ([`Entry::size`]); an entry too large alone is rejected before anything is sent;
//! * only `InternalFailure` and `ThrottlingException` entries, and throttled, failed or unanswered
//!   requests, are re-sent, with capped exponential backoff and full jitter
//!   ([`RetryPolicy`](crate::retry::RetryPolicy)), until the attempts or the deadline run out
//!   ([`Publisher::publish_before`] takes the invocation's deadline); every other code is
//!   permanent. The publisher is the only layer that retries: its requests turn the SDK's own
//!   retries off, so an entry costs at most `max_attempts` requests, and every request is
//!   bounded by the time left;
//! * the [`Report`] says, for every input in order, delivered (with its event id) or failed (with
//!   its [`FailureClass`], code, message and attempts), so nothing is unaccounted for;
//! * [`Publisher::put_events`] checks with DescribeEventBus that the bus exists before the first
//!   send.
//!
//! The Custom Event Bus (eventbridgev2) has its own publisher, `custom_bus::CustomBusPublisher`
//! (feature `publish-v2`, so that binaries publishing to Classic buses do not link the v2 SDK),
//! built on the same loop.
//!
//! A re-sent entry becomes a new event with a new id, so put a stable business key in the detail
//! (like `OrderCreated::order_id`) and let consumers de-duplicate on it
//! (`#[handler(dedup_key = order_id)]`).
//!
//! [`TypedDetail`]: crate::TypedDetail

#[cfg(feature = "publish-v2")]
pub mod custom_bus;
mod entry;
mod error;
mod failure;
pub mod partner;
mod publisher;
mod report;
mod request;
mod send_loop;

/// The retry policy, at home in [`crate::retry`] (re-exported here for compatibility).
pub use crate::retry::RetryPolicy;
pub use entry::Entry;
pub use error::{PublishError, RequestErrorKind, SdkFailure, is_retryable_entry_code};
pub use failure::{DEADLINE_REACHED, FailureClass, MISSING_RESULT, NO_ANSWER, NOT_SENT};
pub use publisher::Publisher;
pub use report::{Delivery, Report};

/// The documented limit on the total entry size of one request (256 KiB). AWS now allows 1 MiB
/// on some buses; raise it with [`Publisher::with_max_request_bytes`].
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 256 * 1024;
/// Entries per PutEvents call.
pub const PUT_EVENTS_MAX_ENTRIES: usize = 10;
/// Entries per PutPartnerEvents call.
pub const PUT_PARTNER_EVENTS_MAX_ENTRIES: usize = 20;

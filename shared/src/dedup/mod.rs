//! Id-based de-duplication.
//!
//! EventBridge and Lambda deliver at least once, so the same event can reach a function twice.
//! Before the handler runs, the [`Dispatcher`](crate::Dispatcher) *claims* the event's key in a
//! [`DedupStore`]:
//!
//! * [`Claim::Acquired`]: first delivery; the handler runs, then the key is marked completed with
//!   the handler's response ([`DedupStore::complete`]) or, when the handler fails, released
//!   ([`DedupStore::release`]) so that the retry runs again;
//! * [`Claim::Completed`]: a duplicate of a processed event; the handler is skipped and the stored
//!   response is returned;
//! * [`Claim::InProgress`]: another copy is being processed right now; the delivery fails with
//!   [`EventError::InProgress`](crate::EventError::InProgress) so it is retried later.
//!
//! The semantics follow Powertools for AWS Lambda's idempotency utility (statuses `INPROGRESS` /
//! `COMPLETED`, in-progress expiry at the Lambda deadline, record deleted on handler error), so a
//! durable store can share a table with Powertools functions.
//!
//! [`MemoryStore`] (the default) catches duplicates inside one warm execution environment.

mod cached;
#[cfg(feature = "dynamodb")]
mod dynamodb;
mod memory;

pub use cached::CachedStore;
#[cfg(feature = "dynamodb")]
pub use dynamodb::DynamoStore;
pub use memory::MemoryStore;
pub(crate) use memory::now_ms;

use async_trait::async_trait;
use serde_json::value::RawValue;

/// What a claim on a key found.
#[derive(Clone, Debug)]
pub enum Claim {
    /// The key was free (or its record had expired): this delivery processes the event.
    Acquired,
    /// The event was already processed; carries the stored response, if one was stored.
    Completed(Option<Box<RawValue>>),
    /// Another delivery of the event is in progress and has not passed its deadline.
    InProgress,
}

impl PartialEq for Claim {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Acquired, Self::Acquired) | (Self::InProgress, Self::InProgress) => true,
            (Self::Completed(a), Self::Completed(b)) => {
                a.as_ref().map(|raw| raw.get()) == b.as_ref().map(|raw| raw.get())
            }
            _ => false,
        }
    }
}

/// A failure of the store itself (unreachable, throttled, access denied, …).
///
/// The handler is not run when a claim fails, so the event is retried rather than processed
/// twice silently.
#[derive(Debug, thiserror::Error)]
#[error("dedup store {store} could not {operation} key {key:?}: {message}")]
pub struct StoreError {
    /// The store's name (`memory`, `dynamodb`, …).
    pub store: &'static str,
    /// The operation (`claim`, `complete`, `release`).
    pub operation: &'static str,
    /// The key concerned.
    pub key: String,
    /// What went wrong.
    pub message: String,
}

/// A place that remembers which events were processed.
///
/// Keys are opaque strings built by the dispatcher (`<namespace>#<event id>`), so one store can
/// serve many functions. Implementations must make [`DedupStore::claim`] atomic: of concurrent
/// claims on a free key, exactly one gets [`Claim::Acquired`].
///
/// ```
/// use eventbridge_lambda::dedup::{Claim, DedupStore, MemoryStore};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = MemoryStore::default();
/// let deadline_ms = u64::MAX; // the Lambda deadline, from the invocation context
/// assert_eq!(store.claim("fn#e-1", deadline_ms).await.unwrap(), Claim::Acquired);
/// assert_eq!(store.claim("fn#e-1", deadline_ms).await.unwrap(), Claim::InProgress);
/// store.complete("fn#e-1", None).await.unwrap();
/// assert_eq!(store.claim("fn#e-1", deadline_ms).await.unwrap(), Claim::Completed(None));
/// # });
/// ```
#[async_trait]
pub trait DedupStore: Send + Sync {
    /// A short name for logs and errors.
    fn name(&self) -> &'static str;

    /// Claims `key` for processing. `in_progress_until_ms` (epoch milliseconds, the invocation's
    /// deadline) is when an unfinished claim lapses so that a later delivery can take over.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn claim(&self, key: &str, in_progress_until_ms: u64) -> Result<Claim, StoreError>;

    /// Marks `key` processed, storing `response` (the handler's serialized result).
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot record it.
    async fn complete(&self, key: &str, response: Option<&RawValue>) -> Result<(), StoreError>;

    /// Forgets a claim after a failed attempt, so that the next delivery runs the handler again.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot remove it.
    async fn release(&self, key: &str) -> Result<(), StoreError>;
}

/// Names the DynamoDB table for durable de-duplication (set by `template.yaml`).
pub const TABLE_ENV: &str = "DEDUP_TABLE";
/// How long a completed key is remembered, in seconds (default 3600).
pub const EXPIRY_ENV: &str = "DEDUP_EXPIRY_SECONDS";

/// A de-duplication configuration that cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum StoreConfigError {
    /// `DEDUP_EXPIRY_SECONDS` is not a positive whole number.
    #[error("{EXPIRY_ENV}={0:?} is not a positive number of seconds")]
    Expiry(String),
    /// `DEDUP_TABLE` is set but the binary was built without the `dynamodb` feature.
    #[error(
        "{TABLE_ENV}={0:?} is set but this function was built without the `dynamodb` feature of eventbridge-lambda; \
         enable it in the function's Cargo.toml or unset {TABLE_ENV}"
    )]
    DynamoDbNotBuilt(String),
}

/// The store configured by the environment, built once at cold start:
///
/// * `DEDUP_TABLE` unset: a [`MemoryStore`] (duplicates inside this execution environment);
/// * `DEDUP_TABLE=<table>`: a [`DynamoStore`] on that table (feature `dynamodb`) with a
///   [`MemoryStore`] cache in front;
/// * `DEDUP_EXPIRY_SECONDS`: how long completed keys are remembered (default 3600).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = eventbridge_lambda::dedup::store_from_env().await.unwrap();
/// assert_eq!(store.name(), "memory"); // DEDUP_TABLE is not set here
/// # });
/// ```
///
/// # Errors
/// [`StoreConfigError`] for an invalid expiry, or a table without the `dynamodb` feature.
pub async fn store_from_env() -> Result<std::sync::Arc<dyn DedupStore>, StoreConfigError> {
    let expiry = match std::env::var(EXPIRY_ENV) {
        Err(_) => MemoryStore::DEFAULT_EXPIRY,
        Ok(text) => match text.trim().parse::<u64>() {
            Ok(seconds) if seconds > 0 => std::time::Duration::from_secs(seconds),
            _ => return Err(StoreConfigError::Expiry(text)),
        },
    };
    let memory = MemoryStore::new(MemoryStore::DEFAULT_CAPACITY, expiry);
    match std::env::var(TABLE_ENV)
        .ok()
        .filter(|table| !table.is_empty())
    {
        None => Ok(std::sync::Arc::new(memory)),
        #[cfg(feature = "dynamodb")]
        Some(table) => {
            let config = crate::aws::sdk_config().await;
            let durable = DynamoStore::new(aws_sdk_dynamodb::Client::new(&config), table, expiry);
            Ok(std::sync::Arc::new(CachedStore::new(memory, durable)))
        }
        #[cfg(not(feature = "dynamodb"))]
        Some(table) => Err(StoreConfigError::DynamoDbNotBuilt(table)),
    }
}

//! Id-based de-duplication.
//!
//! EventBridge and Lambda deliver at least once, so the same event can reach a function twice.
//! Before the handler runs, the [`Dispatcher`](crate::Dispatcher) *claims* the event's key in a
//! [`DedupStore`] with a [`ClaimRequest`] carrying a token new for every delivery:
//!
//! * [`Claim::Acquired`]: first delivery; the handler runs, then the key is marked completed with
//!   the handler's response ([`DedupStore::complete`]) or, when the handler fails, released
//!   ([`DedupStore::release`]) so that the retry runs again. Both act only while the record still
//!   carries the claim's token: a delivery that outlived its in-progress deadline finds
//!   [`Settled::TakenOver`] and leaves the record of the delivery that took over alone;
//! * [`Claim::Completed`]: a duplicate of a processed event; the handler is skipped and the stored
//!   response is returned, unless the stored payload hash differs from this delivery's (a
//!   business key reused for a different detail: [`EventError::PayloadMismatch`]);
//! * [`Claim::InProgress`]: another copy is being processed right now; the delivery fails with
//!   [`EventError::InProgress`](crate::EventError::InProgress) so it is retried later.
//!
//! The semantics follow Powertools for AWS Lambda's idempotency utility (statuses `INPROGRESS` /
//! `COMPLETED`, in-progress expiry at the Lambda deadline, record deleted on handler error,
//! payload validation in the `validation` attribute), so a durable store can share a table with
//! Powertools functions.
//!
//! [`MemoryStore`] (the default) catches duplicates inside one warm execution environment.
//!
//! [`EventError::PayloadMismatch`]: crate::EventError::PayloadMismatch

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

/// One delivery's claim on a key: what a claim writes, and what its completion or release must
/// still find in the store to act.
///
/// The `token` is new for every delivery. [`DedupStore::complete`] and [`DedupStore::release`]
/// only change the record while it still carries this token, so a first delivery that outlived
/// its in-progress deadline can never overwrite or delete the claim of the delivery that took over.
///
/// ```
/// use eventbridge_lambda::dedup::ClaimRequest;
/// let claim = ClaimRequest::new("fn#order-1", "token-1", u64::MAX).with_payload_hash(Some("9f2c"));
/// assert_eq!(claim.payload_hash, Some("9f2c"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClaimRequest<'a> {
    /// The key, `<namespace>#<event id or business key>`.
    pub key: &'a str,
    /// This delivery's token, written with the claim.
    pub token: &'a str,
    /// Epoch milliseconds (the invocation's deadline) after which an unfinished claim lapses and
    /// a later delivery may take over.
    pub in_progress_until_ms: u64,
    /// A hash of the event's detail, stored with the record so that a later delivery with the same
    /// key but a different detail is recognised ([`Completed::payload_hash`]).
    pub payload_hash: Option<&'a str>,
}

impl<'a> ClaimRequest<'a> {
    /// A claim on `key` by the delivery holding `token`, lapsing at `in_progress_until_ms`.
    pub fn new(key: &'a str, token: &'a str, in_progress_until_ms: u64) -> Self {
        Self {
            key,
            token,
            in_progress_until_ms,
            payload_hash: None,
        }
    }

    /// Stores `hash` (of the event's detail) with the record.
    pub fn with_payload_hash(mut self, hash: Option<&'a str>) -> Self {
        self.payload_hash = hash;
        self
    }
}

/// What a claim on a key found.
#[derive(Clone, Debug, PartialEq)]
pub enum Claim {
    /// The key was free (or its record had expired): this delivery processes the event.
    Acquired,
    /// The event was already processed.
    Completed(Completed),
    /// Another delivery of the event is in progress and has not passed its deadline.
    InProgress,
}

/// A completed record, as a later claim finds it.
#[derive(Clone, Debug, Default)]
pub struct Completed {
    /// The response stored by the delivery that processed the event.
    pub response: Option<Box<RawValue>>,
    /// The hash of the detail that delivery processed, when it stored one.
    pub payload_hash: Option<String>,
}

impl Completed {
    /// A completed record without a stored response or payload hash.
    ///
    /// ```
    /// use eventbridge_lambda::dedup::Completed;
    /// assert!(Completed::empty().response.is_none());
    /// ```
    pub fn empty() -> Self {
        Self::default()
    }
}

impl PartialEq for Completed {
    fn eq(&self, other: &Self) -> bool {
        self.response.as_ref().map(|raw| raw.get()) == other.response.as_ref().map(|raw| raw.get())
            && self.payload_hash == other.payload_hash
    }
}

/// What a completion or a release found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settled {
    /// The record still carried this delivery's token (or was gone): it was updated or removed.
    Recorded,
    /// Another delivery took the key over after this one's claim lapsed; its record was left as
    /// it is.
    TakenOver,
}

/// A failure of the store itself (unreachable, throttled, access denied, …).
///
/// The handler is not run when a claim fails, so the event is retried rather than processed
/// twice silently.
///
/// ```
/// use eventbridge_lambda::dedup::StoreError;
/// let error = StoreError::new("dynamodb", "claim", "fn#e-1", std::io::Error::other("throttled"));
/// assert_eq!(error.to_string(), "dedup store dynamodb could not claim key \"fn#e-1\": throttled");
/// assert!(std::error::Error::source(&error).is_some());
/// ```
#[derive(Debug, thiserror::Error)]
#[error("dedup store {store} could not {operation} key {key:?}: {source}")]
pub struct StoreError {
    /// The store's name (`memory`, `dynamodb`, …).
    pub store: &'static str,
    /// The operation (`claim`, `complete`, `release`).
    pub operation: &'static str,
    /// The key concerned.
    pub key: String,
    /// What went wrong (for DynamoDB, the SDK error).
    #[source]
    pub source: crate::BoxError,
}

impl StoreError {
    /// A failure of `operation` on `key` in `store`, caused by `source`.
    pub fn new(
        store: &'static str,
        operation: &'static str,
        key: &str,
        source: impl Into<crate::BoxError>,
    ) -> Self {
        Self {
            store,
            operation,
            key: key.to_owned(),
            source: source.into(),
        }
    }
}

/// A place that remembers which events were processed.
///
/// Keys are opaque strings built by the dispatcher (`<namespace>#<event id>`), so one store can
/// serve many functions. Implementations must make [`DedupStore::claim`] atomic (of concurrent
/// claims on a free key, exactly one gets [`Claim::Acquired`]) and must make completion and
/// release conditional on the claim's token (see [`ClaimRequest`]).
///
/// ```
/// use eventbridge_lambda::dedup::{Claim, ClaimRequest, Completed, DedupStore, MemoryStore, Settled};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = MemoryStore::default();
/// let deadline_ms = u64::MAX; // the Lambda deadline, from the invocation context
/// let first = ClaimRequest::new("fn#e-1", "token-a", deadline_ms);
/// assert_eq!(store.claim(&first).await.unwrap(), Claim::Acquired);
/// let second = ClaimRequest::new("fn#e-1", "token-b", deadline_ms);
/// assert_eq!(store.claim(&second).await.unwrap(), Claim::InProgress);
/// assert_eq!(store.complete(&first, None).await.unwrap(), Settled::Recorded);
/// assert_eq!(store.claim(&second).await.unwrap(), Claim::Completed(Completed::empty()));
/// # });
/// ```
#[async_trait]
pub trait DedupStore: Send + Sync {
    /// A short name for logs and errors.
    fn name(&self) -> &'static str;

    /// Claims `claim.key` for processing, writing the claim's token and payload hash.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn claim(&self, claim: &ClaimRequest<'_>) -> Result<Claim, StoreError>;

    /// Marks the key processed, storing `response` (the handler's serialized result), if the
    /// record still carries `claim.token`.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot record it.
    async fn complete(
        &self,
        claim: &ClaimRequest<'_>,
        response: Option<&RawValue>,
    ) -> Result<Settled, StoreError>;

    /// Forgets the claim after a failed attempt, so that the next delivery runs the handler
    /// again, if the record still carries `claim.token`.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot remove it.
    async fn release(&self, claim: &ClaimRequest<'_>) -> Result<Settled, StoreError>;
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

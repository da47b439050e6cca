//! A durable store with the in-memory store as a local cache in front of it.

use super::{Claim, DedupStore, MemoryStore, StoreError};
use async_trait::async_trait;
use serde_json::value::RawValue;

/// Answers duplicates of events this execution environment completed itself from memory
/// (no call), and everything else from the durable store.
///
/// Only completions are cached — never in-progress claims, which must be decided by the durable
/// store so that concurrent copies in other execution environments see them.
///
/// ```
/// use eventbridge_lambda::dedup::{CachedStore, Claim, DedupStore, MemoryStore};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// // Any durable store; a second MemoryStore stands in for DynamoDB here.
/// let store = CachedStore::new(MemoryStore::default(), MemoryStore::default());
/// assert_eq!(store.claim("fn#e-1", u64::MAX).await.unwrap(), Claim::Acquired);
/// store.complete("fn#e-1", None).await.unwrap();
/// assert_eq!(store.claim("fn#e-1", u64::MAX).await.unwrap(), Claim::Completed(None));
/// # });
/// ```
#[derive(Debug)]
pub struct CachedStore<D> {
    cache: MemoryStore,
    durable: D,
}

impl<D: DedupStore> CachedStore<D> {
    /// `durable` behind `cache`.
    pub fn new(cache: MemoryStore, durable: D) -> Self {
        Self { cache, durable }
    }

    /// The durable store.
    pub fn durable(&self) -> &D {
        &self.durable
    }
}

#[async_trait]
impl<D: DedupStore> DedupStore for CachedStore<D> {
    fn name(&self) -> &'static str {
        self.durable.name()
    }

    async fn claim(&self, key: &str, in_progress_until_ms: u64) -> Result<Claim, StoreError> {
        if let Some(response) = self.cache.cached_completion(key) {
            return Ok(Claim::Completed(response));
        }
        self.durable.claim(key, in_progress_until_ms).await
    }

    async fn complete(&self, key: &str, response: Option<&RawValue>) -> Result<(), StoreError> {
        self.durable.complete(key, response).await?;
        self.cache.complete(key, response).await
    }

    async fn release(&self, key: &str) -> Result<(), StoreError> {
        self.durable.release(key).await
    }
}

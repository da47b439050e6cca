//! A durable store with the in-memory store as a local cache in front of it.

use super::{Claim, ClaimRequest, DedupStore, MemoryStore, Settled, StoreError};
use async_trait::async_trait;
use serde_json::value::RawValue;

/// Answers duplicates of events this execution environment completed itself from memory
/// (no call), and everything else from the durable store.
///
/// Only completions are cached — never in-progress claims, which must be decided by the durable
/// store so that concurrent copies in other execution environments see them — and only the
/// completions the durable store recorded as this delivery's.
///
/// ```
/// use eventbridge_lambda::dedup::{CachedStore, Claim, ClaimRequest, Completed, DedupStore, MemoryStore};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// // Any durable store; a second MemoryStore stands in for DynamoDB here.
/// let store = CachedStore::new(MemoryStore::default(), MemoryStore::default());
/// let first = ClaimRequest::new("fn#e-1", "token-a", u64::MAX);
/// assert_eq!(store.claim(&first).await.unwrap(), Claim::Acquired);
/// store.complete(&first, None).await.unwrap();
/// let again = ClaimRequest::new("fn#e-1", "token-b", u64::MAX);
/// assert_eq!(store.claim(&again).await.unwrap(), Claim::Completed(Completed::empty()));
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

    async fn claim(&self, claim: &ClaimRequest<'_>) -> Result<Claim, StoreError> {
        if let Some(completed) = self.cache.cached_completion(claim.key) {
            return Ok(Claim::Completed(completed));
        }
        self.durable.claim(claim).await
    }

    async fn complete(
        &self,
        claim: &ClaimRequest<'_>,
        response: Option<&RawValue>,
    ) -> Result<Settled, StoreError> {
        let settled = self.durable.complete(claim, response).await?;
        if settled == Settled::Recorded {
            self.cache.complete(claim, response).await?;
        }
        Ok(settled)
    }

    async fn release(&self, claim: &ClaimRequest<'_>) -> Result<Settled, StoreError> {
        self.durable.release(claim).await
    }
}

//! The in-memory store: duplicates inside one warm execution environment.

use super::{Claim, ClaimRequest, Completed, DedupStore, Settled, StoreError};
use async_trait::async_trait;
use lru::LruCache;
use serde_json::value::RawValue;
use std::num::NonZeroUsize;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A bounded, expiring, per-container de-duplication store.
///
/// Holds at most `capacity` keys (least recently used evicted first) and forgets completed keys
/// after `expiry` (default one hour, like Powertools). In-progress records live for the length of
/// one event; concurrent claims of one key (Lambda Managed Instances run several invocations in
/// one process) are decided under one lock, so exactly one of them acquires it.
///
/// ```
/// use eventbridge_lambda::MemoryStore;
/// use std::time::Duration;
/// let store = MemoryStore::new(10_000, Duration::from_secs(600));
/// assert_eq!(store.len(), 0);
/// ```
#[derive(Debug)]
pub struct MemoryStore {
    entries: Mutex<Entries>,
    expiry: Duration,
}

/// The keys, and the allocation of the last key evicted, reused for the next new key (a full
/// store evicts one key per new one).
#[derive(Debug)]
struct Entries {
    lru: LruCache<String, Entry>,
    spare_key: Option<String>,
}

impl Entries {
    /// Inserts a key that is not held, evicting the least recently used key when full.
    fn insert(&mut self, key: &str, entry: Entry) {
        let owned = match self.spare_key.take() {
            Some(mut spare) => {
                spare.clear();
                spare.push_str(key);
                spare
            }
            None => key.to_owned(),
        };
        if let Some((evicted, _)) = self.lru.push(owned, entry) {
            self.spare_key = Some(evicted);
        }
    }
}

#[derive(Debug)]
enum Entry {
    InProgress { until_ms: u64, token: String },
    Completed { record: Completed, expires_ms: u64 },
}

impl MemoryStore {
    /// Default number of keys kept.
    pub const DEFAULT_CAPACITY: usize = 1024;
    /// Default time a completed key is remembered.
    pub const DEFAULT_EXPIRY: Duration = Duration::from_secs(3600);

    /// A store keeping at most `capacity` keys (at least 1), each completed key for `expiry`.
    pub fn new(capacity: usize, expiry: Duration) -> Self {
        let capacity = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        Self {
            entries: Mutex::new(Entries {
                lru: LruCache::new(capacity),
                spare_key: None,
            }),
            expiry,
        }
    }

    /// Number of keys currently held (including expired ones not yet evicted).
    pub fn len(&self) -> usize {
        self.lock().lru.len()
    }

    /// True when no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A panic while holding the lock cannot leave the cache half-updated (every update is a
        // single `push`, `pop` or assignment; a lost spare key only costs an allocation), so a
        // poisoned lock is safe to keep using.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The completed record of `key` when this store holds it as completed and unexpired. Used by
    /// [`CachedStore`](super::CachedStore).
    pub fn cached_completion(&self, key: &str) -> Option<Completed> {
        let now = now_ms();
        match self.lock().lru.get(key) {
            Some(Entry::Completed { record, expires_ms }) if *expires_ms > now => {
                Some(record.clone())
            }
            _ => None,
        }
    }

    fn claim_at(&self, claim: &ClaimRequest<'_>, now_ms: u64) -> Claim {
        let mut entries = self.lock();
        let in_progress = || Entry::InProgress {
            until_ms: claim.in_progress_until_ms,
            token: claim.token.to_owned(),
        };
        match entries.lru.get_mut(claim.key) {
            Some(Entry::Completed { record, expires_ms }) if *expires_ms > now_ms => {
                Claim::Completed(record.clone())
            }
            Some(Entry::InProgress { until_ms, .. }) if *until_ms > now_ms => Claim::InProgress,
            // An expired record: taken over in place (`get_mut` marked it most recently used, as
            // `put` would).
            Some(expired) => {
                *expired = in_progress();
                Claim::Acquired
            }
            None => {
                entries.insert(claim.key, in_progress());
                Claim::Acquired
            }
        }
    }

    fn complete_at(
        &self,
        claim: &ClaimRequest<'_>,
        response: Option<&RawValue>,
        now_ms: u64,
    ) -> Settled {
        let expires_ms =
            now_ms.saturating_add(u64::try_from(self.expiry.as_millis()).unwrap_or(u64::MAX));
        let completed = || Entry::Completed {
            record: Completed {
                response: response.map(ToOwned::to_owned),
                payload_hash: claim.payload_hash.map(str::to_owned),
            },
            expires_ms,
        };
        let mut entries = self.lock();
        // The key is normally held already (claimed by this delivery): update it in place, which
        // marks it most recently used exactly as `put` would, without allocating the key again.
        match entries.lru.get_mut(claim.key) {
            Some(entry) if holds(entry, claim.token) => {
                *entry = completed();
                Settled::Recorded
            }
            Some(_) => Settled::TakenOver,
            // Evicted (or claimed in another store, for the cache): nobody else holds it.
            None => {
                entries.insert(claim.key, completed());
                Settled::Recorded
            }
        }
    }

    fn release_claim(&self, claim: &ClaimRequest<'_>) -> Settled {
        let mut entries = self.lock();
        match entries.lru.peek(claim.key) {
            Some(entry) if !holds(entry, claim.token) => Settled::TakenOver,
            _ => {
                entries.lru.pop(claim.key);
                Settled::Recorded
            }
        }
    }
}

/// Whether `entry` is the in-progress claim made with `token`.
fn holds(entry: &Entry, token: &str) -> bool {
    matches!(entry, Entry::InProgress { token: held, .. } if held == token)
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY, Self::DEFAULT_EXPIRY)
    }
}

/// Milliseconds since the epoch (0 if the clock is before 1970).
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

#[async_trait]
impl DedupStore for MemoryStore {
    fn name(&self) -> &'static str {
        "memory"
    }

    async fn claim(&self, claim: &ClaimRequest<'_>) -> Result<Claim, StoreError> {
        Ok(self.claim_at(claim, now_ms()))
    }

    async fn complete(
        &self,
        claim: &ClaimRequest<'_>,
        response: Option<&RawValue>,
    ) -> Result<Settled, StoreError> {
        Ok(self.complete_at(claim, response, now_ms()))
    }

    async fn release(&self, claim: &ClaimRequest<'_>) -> Result<Settled, StoreError> {
        Ok(self.release_claim(claim))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    fn claim<'a>(key: &'a str, token: &'a str, until_ms: u64) -> ClaimRequest<'a> {
        ClaimRequest::new(key, token, until_ms)
    }

    #[test]
    fn completed_key_expires() {
        let store = MemoryStore::new(8, Duration::from_millis(100));
        assert_eq!(
            store.claim_at(&claim("k", "a", 5_000), 1_000),
            Claim::Acquired
        );
        store.complete_at(&claim("k", "a", 5_000), None, 1_000);
        assert_eq!(
            store.claim_at(&claim("k", "b", 5_000), 1_099),
            Claim::Completed(Completed::empty())
        );
        assert_eq!(
            store.claim_at(&claim("k", "b", 5_000), 1_100),
            Claim::Acquired,
            "expired record is absent"
        );
    }

    #[test]
    fn lapsed_in_progress_claim_is_taken_over() {
        let store = MemoryStore::default();
        assert_eq!(
            store.claim_at(&claim("k", "a", 2_000), 1_000),
            Claim::Acquired
        );
        assert_eq!(
            store.claim_at(&claim("k", "b", 9_000), 1_999),
            Claim::InProgress
        );
        assert_eq!(
            store.claim_at(&claim("k", "b", 9_000), 2_000),
            Claim::Acquired,
            "deadline passed: take over"
        );
    }

    #[test]
    fn a_late_first_delivery_leaves_the_takeover_alone() {
        let store = MemoryStore::default();
        let first = claim("k", "first", 2_000);
        let takeover = claim("k", "takeover", 9_000);
        assert_eq!(store.claim_at(&first, 1_000), Claim::Acquired);
        assert_eq!(store.claim_at(&takeover, 2_000), Claim::Acquired);
        // The first delivery finishes late: neither its completion nor its release applies.
        assert_eq!(store.complete_at(&first, None, 2_500), Settled::TakenOver);
        assert_eq!(store.release_claim(&first), Settled::TakenOver);
        assert_eq!(
            store.claim_at(&claim("k", "c", 9_000), 2_600),
            Claim::InProgress
        );
        // The takeover's own completion is recorded.
        assert_eq!(store.complete_at(&takeover, None, 3_000), Settled::Recorded);
        assert!(matches!(
            store.claim_at(&claim("k", "c", 9_000), 3_001),
            Claim::Completed(_)
        ));
    }

    #[test]
    fn stored_response_and_payload_hash_are_returned() {
        let store = MemoryStore::default();
        let response = RawValue::from_string(r#"{"sent":true}"#.to_owned()).unwrap();
        let first = claim("k", "a", 2_000).with_payload_hash(Some("h1"));
        assert_eq!(store.claim_at(&first, 1_000), Claim::Acquired);
        store.complete_at(&first, Some(&response), 1_000);
        match store.claim_at(&claim("k", "b", 2_000), 1_001) {
            Claim::Completed(Completed {
                response: Some(stored),
                payload_hash: Some(hash),
            }) => {
                assert_eq!(stored.get(), r#"{"sent":true}"#);
                assert_eq!(hash, "h1");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn capacity_bounds_the_store() {
        let store = MemoryStore::new(2, Duration::from_secs(60));
        for key in ["a", "b", "c"] {
            assert_eq!(
                store.claim_at(&claim(key, "t", 2_000), 1_000),
                Claim::Acquired
            );
            store.complete_at(&claim(key, "t", 2_000), None, 1_000);
        }
        assert_eq!(store.len(), 2);
        assert_eq!(
            store.claim_at(&claim("a", "u", 2_000), 1_000),
            Claim::Acquired,
            "oldest key was evicted"
        );
    }

    #[tokio::test]
    async fn release_frees_the_key() {
        let store = MemoryStore::default();
        let first = claim("k", "a", u64::MAX);
        assert_eq!(store.claim(&first).await.unwrap(), Claim::Acquired);
        assert_eq!(store.release(&first).await.unwrap(), Settled::Recorded);
        assert_eq!(
            store.claim(&claim("k", "b", u64::MAX)).await.unwrap(),
            Claim::Acquired
        );
    }

    #[test]
    fn concurrent_claims_of_one_key_acquire_it_once() {
        let store = std::sync::Arc::new(MemoryStore::default());
        let tokens: Vec<String> = (0..8).map(|i| format!("t{i}")).collect();
        let acquired = std::thread::scope(|scope| {
            let handles: Vec<_> = tokens
                .iter()
                .map(|token| {
                    let store = &store;
                    scope.spawn(move || {
                        store.claim_at(&ClaimRequest::new("k", token, u64::MAX), 1_000)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|handle| handle.join().unwrap())
                .filter(|claim| *claim == Claim::Acquired)
                .count()
        });
        assert_eq!(acquired, 1);
    }
}

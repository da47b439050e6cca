//! The in-memory store: duplicates inside one warm execution environment.

use super::{Claim, DedupStore, StoreError};
use async_trait::async_trait;
use lru::LruCache;
use serde_json::value::RawValue;
use std::num::NonZeroUsize;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A bounded, expiring, per-container de-duplication store.
///
/// Holds at most `capacity` keys (least recently used evicted first) and forgets completed keys
/// after `expiry` (default one hour, like Powertools). An execution environment handles one
/// invocation at a time, so in-progress records only live for the length of one event.
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
    InProgress {
        until_ms: u64,
    },
    Completed {
        response: Option<Box<RawValue>>,
        expires_ms: u64,
    },
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

    /// The stored response of `key` when this store holds it as completed and unexpired
    /// (`Some(None)`: completed without a response). Used by [`CachedStore`](super::CachedStore).
    pub fn cached_completion(&self, key: &str) -> Option<Option<Box<RawValue>>> {
        let now = now_ms();
        match self.lock().lru.get(key) {
            Some(Entry::Completed {
                response,
                expires_ms,
            }) if *expires_ms > now => Some(response.clone()),
            _ => None,
        }
    }

    fn claim_at(&self, key: &str, in_progress_until_ms: u64, now_ms: u64) -> Claim {
        let mut entries = self.lock();
        let in_progress = Entry::InProgress {
            until_ms: in_progress_until_ms,
        };
        match entries.lru.get_mut(key) {
            Some(Entry::Completed {
                response,
                expires_ms,
            }) if *expires_ms > now_ms => Claim::Completed(response.clone()),
            Some(Entry::InProgress { until_ms }) if *until_ms > now_ms => Claim::InProgress,
            // An expired record: taken over in place (`get_mut` marked it most recently used, as
            // `put` would).
            Some(expired) => {
                *expired = in_progress;
                Claim::Acquired
            }
            None => {
                entries.insert(key, in_progress);
                Claim::Acquired
            }
        }
    }

    fn complete_at(&self, key: &str, response: Option<&RawValue>, now_ms: u64) {
        let expires_ms =
            now_ms.saturating_add(u64::try_from(self.expiry.as_millis()).unwrap_or(u64::MAX));
        let completed = Entry::Completed {
            response: response.map(ToOwned::to_owned),
            expires_ms,
        };
        let mut entries = self.lock();
        // The key is normally held already (claimed by this delivery): update it in place, which
        // marks it most recently used exactly as `put` would, without allocating the key again.
        match entries.lru.get_mut(key) {
            Some(entry) => *entry = completed,
            None => entries.insert(key, completed),
        }
    }
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

    async fn claim(&self, key: &str, in_progress_until_ms: u64) -> Result<Claim, StoreError> {
        Ok(self.claim_at(key, in_progress_until_ms, now_ms()))
    }

    async fn complete(&self, key: &str, response: Option<&RawValue>) -> Result<(), StoreError> {
        self.complete_at(key, response, now_ms());
        Ok(())
    }

    async fn release(&self, key: &str) -> Result<(), StoreError> {
        self.lock().lru.pop(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    #[test]
    fn completed_key_expires() {
        let store = MemoryStore::new(8, Duration::from_millis(100));
        assert_eq!(store.claim_at("k", 5_000, 1_000), Claim::Acquired);
        store.complete_at("k", None, 1_000);
        assert_eq!(store.claim_at("k", 5_000, 1_099), Claim::Completed(None));
        assert_eq!(
            store.claim_at("k", 5_000, 1_100),
            Claim::Acquired,
            "expired record is absent"
        );
    }

    #[test]
    fn lapsed_in_progress_claim_is_taken_over() {
        let store = MemoryStore::default();
        assert_eq!(store.claim_at("k", 2_000, 1_000), Claim::Acquired);
        assert_eq!(store.claim_at("k", 9_000, 1_999), Claim::InProgress);
        assert_eq!(
            store.claim_at("k", 9_000, 2_000),
            Claim::Acquired,
            "deadline passed: take over"
        );
    }

    #[test]
    fn stored_response_is_returned() {
        let store = MemoryStore::default();
        let response = RawValue::from_string(r#"{"sent":true}"#.to_owned()).unwrap();
        assert_eq!(store.claim_at("k", 2_000, 1_000), Claim::Acquired);
        store.complete_at("k", Some(&response), 1_000);
        match store.claim_at("k", 2_000, 1_001) {
            Claim::Completed(Some(stored)) => assert_eq!(stored.get(), r#"{"sent":true}"#),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn capacity_bounds_the_store() {
        let store = MemoryStore::new(2, Duration::from_secs(60));
        for key in ["a", "b", "c"] {
            assert_eq!(store.claim_at(key, 2_000, 1_000), Claim::Acquired);
            store.complete_at(key, None, 1_000);
        }
        assert_eq!(store.len(), 2);
        assert_eq!(
            store.claim_at("a", 2_000, 1_000),
            Claim::Acquired,
            "oldest key was evicted"
        );
    }

    #[tokio::test]
    async fn release_frees_the_key() {
        let store = MemoryStore::default();
        assert_eq!(store.claim("k", u64::MAX).await.unwrap(), Claim::Acquired);
        store.release("k").await.unwrap();
        assert_eq!(store.claim("k", u64::MAX).await.unwrap(), Claim::Acquired);
    }
}

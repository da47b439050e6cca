//! Capped exponential backoff with full jitter, bounded by attempts and a deadline.

use std::time::Duration;

/// When and how often failed entries are re-sent.
///
/// ```
/// use eventbridge_lambda::publish::RetryPolicy;
/// use std::time::Duration;
/// let policy = RetryPolicy::default();
/// for attempt in 0..10 {
///     assert!(policy.backoff(attempt) <= policy.max_backoff);
/// }
/// ```
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Sends per entry, the first included.
    pub max_attempts: u32,
    /// The backoff's base: the first retry waits up to this long.
    pub base_backoff: Duration,
    /// No wait is longer than this.
    pub max_backoff: Duration,
    /// No retry starts after this much time since the publish call began.
    pub deadline: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            deadline: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (0 = first retry): uniformly random between zero and
    /// `min(max_backoff, base_backoff * 2^attempt)` ("full jitter").
    pub fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self
            .base_backoff
            .saturating_mul(1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX))
            .min(self.max_backoff);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(fastrand::u64(0..=nanos))
    }
}

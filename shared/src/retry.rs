//! Retries inside a time budget: capped exponential backoff with full jitter, bounded by a number
//! of attempts and by a [`Deadline`] (the invocation's end, less a margin).
//!
//! One mechanism for every retry loop of the project: the publisher's re-sends
//! ([`publish`](crate::publish)) and a function's own retries (the inventory function's
//! transaction conflicts).
//!
//! ```
//! use eventbridge_lambda::retry::{Deadline, RetryPolicy, Stop};
//! use std::time::Duration;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let policy = RetryPolicy {
//!     max_attempts: 3,
//!     base_backoff: Duration::from_millis(1),
//!     max_backoff: Duration::from_millis(2),
//!     deadline: Duration::from_secs(5),
//! };
//! // In a handler: `Some(Deadline::of_invocation(ctx.deadline()))`.
//! let mut attempts = policy.start(Some(Deadline::after(Duration::from_secs(1))));
//! let mut sent = 0;
//! let stop = loop {
//!     attempts.begin();
//!     sent += 1; // ... the attempt, which fails ...
//!     if let Err(stop) = attempts.backoff().await {
//!         break stop;
//!     }
//! };
//! assert_eq!((sent, stop), (3, Stop::AttemptsExhausted));
//! # }
//! ```

use std::fmt;
use std::time::{Duration, Instant, SystemTime};

/// Time kept back from a Lambda invocation's deadline by [`Deadline::of_invocation`]: room to
/// record the outcome (a registry write, the de-duplication record) and to answer before Lambda
/// ends the invocation with "Task timed out".
pub const INVOCATION_MARGIN: Duration = Duration::from_secs(1);

/// The longest span a deadline is set ahead (longer ones are cut to it): a year.
const FAR_FUTURE: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// A point in time by which work must be finished (monotonic clock).
///
/// ```
/// use eventbridge_lambda::retry::Deadline;
/// use std::time::{Duration, SystemTime};
/// let soon = Deadline::after(Duration::from_secs(5));
/// assert!(soon.remaining() <= Duration::from_secs(5) && !soon.has_passed());
/// // A Lambda context's deadline, less the margin; an earlier one wins.
/// let invocation = Deadline::of_invocation(SystemTime::now() + Duration::from_secs(3));
/// assert!(invocation.remaining() <= Duration::from_secs(2));
/// assert_eq!(soon.min(invocation), invocation);
/// assert!(Deadline::at(SystemTime::UNIX_EPOCH).has_passed());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Deadline(Instant);

impl Deadline {
    /// `duration` from now (at most a year).
    pub fn after(duration: Duration) -> Self {
        let now = Instant::now();
        Self(now.checked_add(duration.min(FAR_FUTURE)).unwrap_or(now))
    }

    /// At the wall-clock time `time` (a time in the past is a deadline that has passed).
    pub fn at(time: SystemTime) -> Self {
        match time.duration_since(SystemTime::now()) {
            Ok(ahead) => Self::after(ahead),
            Err(_) => Self(Instant::now()),
        }
    }

    /// The deadline for work inside a Lambda invocation: the context's deadline
    /// (`ctx.deadline()`) less [`INVOCATION_MARGIN`]. A context without a deadline
    /// (`Context::default()`, deadline 0) gives a deadline that has passed: build test contexts
    /// with a deadline, as Lambda does.
    pub fn of_invocation(invocation_deadline: SystemTime) -> Self {
        Self::at(
            invocation_deadline
                .checked_sub(INVOCATION_MARGIN)
                .unwrap_or(SystemTime::UNIX_EPOCH),
        )
    }

    /// The time left (zero once passed).
    pub fn remaining(&self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }

    /// Whether the deadline has passed.
    pub fn has_passed(&self) -> bool {
        self.remaining().is_zero()
    }

    /// The deadline as a monotonic instant.
    pub fn instant(&self) -> Instant {
        self.0
    }
}

/// Why a retry loop stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// [`RetryPolicy::max_attempts`] attempts were made.
    AttemptsExhausted,
    /// The next attempt could not start before the deadline.
    DeadlineReached,
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::AttemptsExhausted => "no attempt left",
            Self::DeadlineReached => "the deadline is reached",
        })
    }
}

/// How often and how long an operation is retried.
///
/// ```
/// use eventbridge_lambda::retry::RetryPolicy;
/// use std::time::Duration;
/// let policy = RetryPolicy::default();
/// for retry in 0..10 {
///     assert!(policy.backoff(retry) <= policy.max_backoff);
/// }
/// // 8 attempts, so 7 waits of at most 0.1, 0.2, 0.4, 0.8, 1.6, 3.2 and 5 s.
/// assert_eq!(policy.max_total_backoff(), Duration::from_millis(11_300));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The backoff's base: the first retry waits up to this long.
    pub base_backoff: Duration,
    /// No wait is longer than this.
    pub max_backoff: Duration,
    /// No retry starts after this much time since the operation began (a Lambda invocation's
    /// own deadline, given to [`RetryPolicy::start`], applies when it is earlier).
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
    /// The longest wait before retry number `retry` (0 = first retry):
    /// `min(max_backoff, base_backoff * 2^retry)`.
    pub fn max_backoff_before(&self, retry: u32) -> Duration {
        self.base_backoff
            .saturating_mul(1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX))
            .min(self.max_backoff)
    }

    /// The wait before retry number `retry` (0 = first retry): uniformly random between zero
    /// and [`max_backoff_before`](Self::max_backoff_before) ("full jitter").
    pub fn backoff(&self, retry: u32) -> Duration {
        let ceiling = self.max_backoff_before(retry);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(fastrand::u64(0..=nanos))
    }

    /// The worst case of all waits together, when every attempt is made.
    pub fn max_total_backoff(&self) -> Duration {
        (0..self.max_attempts.saturating_sub(1))
            .map(|retry| self.max_backoff_before(retry))
            .sum()
    }

    /// Starts one operation's attempts, to end by the earlier of `deadline` (e.g.
    /// [`Deadline::of_invocation`]) and [`deadline`](Self::deadline) from now.
    pub fn start(&self, deadline: Option<Deadline>) -> Attempts {
        let own = Deadline::after(self.deadline);
        Attempts {
            policy: self.clone(),
            deadline: deadline.map_or(own, |given| given.min(own)),
            made: 0,
        }
    }
}

/// The attempts of one operation under a [`RetryPolicy`] and its [`Deadline`].
#[derive(Clone, Debug)]
pub struct Attempts {
    policy: RetryPolicy,
    deadline: Deadline,
    made: u32,
}

impl Attempts {
    /// Counts an attempt that starts now; returns its number (1 for the first).
    pub fn begin(&mut self) -> u32 {
        self.made += 1;
        self.made
    }

    /// Attempts begun so far.
    pub fn made(&self) -> u32 {
        self.made
    }

    /// The operation's deadline: bound every request by its [`remaining`](Deadline::remaining)
    /// time.
    pub fn deadline(&self) -> Deadline {
        self.deadline
    }

    /// The jittered wait before the next attempt, or why there is none: every attempt was made,
    /// or the wait would not end before the deadline.
    ///
    /// # Errors
    /// The [`Stop`] reason.
    pub fn next_wait(&self) -> Result<Duration, Stop> {
        if self.made >= self.policy.max_attempts {
            return Err(Stop::AttemptsExhausted);
        }
        let wait = self.policy.backoff(self.made.saturating_sub(1));
        if wait >= self.deadline.remaining() {
            return Err(Stop::DeadlineReached);
        }
        Ok(wait)
    }

    /// After a failed attempt: sleeps the jittered wait, or returns at once why no attempt
    /// follows. The sleep always ends before the deadline.
    ///
    /// # Errors
    /// The [`Stop`] reason.
    pub async fn backoff(&mut self) -> Result<(), Stop> {
        let wait = self.next_wait()?;
        tokio::time::sleep(wait).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn policy(max_attempts: u32, backoff_ms: u64) -> RetryPolicy {
        RetryPolicy {
            max_attempts,
            base_backoff: Duration::from_millis(backoff_ms),
            max_backoff: Duration::from_millis(backoff_ms * 4),
            deadline: Duration::from_secs(60),
        }
    }

    #[test]
    fn the_backoff_ceiling_doubles_up_to_the_cap() {
        let policy = policy(10, 10);
        let ceilings: Vec<u64> = (0..5)
            .map(|retry| policy.max_backoff_before(retry).as_millis() as u64)
            .collect();
        assert_eq!(ceilings, [10, 20, 40, 40, 40]);
        assert_eq!(
            policy.max_backoff_before(u32::MAX),
            Duration::from_millis(40)
        );
        assert_eq!(
            policy.max_total_backoff(),
            Duration::from_millis(10 + 20 + 40 * 7)
        );
    }

    #[test]
    fn attempts_stop_at_the_limit() {
        let mut attempts = policy(2, 1).start(None);
        attempts.begin();
        assert!(attempts.next_wait().is_ok());
        attempts.begin();
        assert_eq!(attempts.next_wait(), Err(Stop::AttemptsExhausted));
        assert_eq!(attempts.made(), 2);
    }

    #[test]
    fn no_wait_outlives_the_deadline() {
        // Every wait of up to 4 s would end after a deadline 1 ms away, except a zero draw;
        // a deadline that has passed allows none.
        let mut attempts = policy(100, 1000).start(Some(Deadline::at(SystemTime::UNIX_EPOCH)));
        attempts.begin();
        assert_eq!(attempts.next_wait(), Err(Stop::DeadlineReached));
        let attempts = policy(100, 1000).start(Some(Deadline::after(Duration::from_millis(50))));
        for _ in 0..100 {
            if let Ok(wait) = attempts.next_wait() {
                assert!(wait < Duration::from_millis(50), "{wait:?}");
            }
        }
    }

    #[test]
    fn the_earlier_deadline_wins() {
        let given = Deadline::after(Duration::from_secs(1));
        assert_eq!(policy(3, 1).start(Some(given)).deadline(), given);
        let short = RetryPolicy {
            deadline: Duration::from_millis(10),
            ..policy(3, 1)
        };
        assert!(short.start(Some(given)).deadline() < given);
    }

    #[test]
    fn an_invocation_deadline_keeps_the_margin() {
        let deadline = Deadline::of_invocation(SystemTime::now() + Duration::from_secs(5));
        let remaining = deadline.remaining();
        assert!(remaining <= Duration::from_secs(4), "{remaining:?}");
        assert!(remaining > Duration::from_secs(3), "{remaining:?}");
        assert!(Deadline::of_invocation(SystemTime::UNIX_EPOCH).has_passed());
    }
}

//! The Amazon EventBridge event-pattern language, locally.
//!
//! * [`Matcher`]: compile many named patterns into one structure and ask which names match
//!   a JSON event (bytes or `&str`), with the semantics of AWS's matcher
//!   (event-ruler's `rulesForJSONEvent`, including array consistency).
//! * [`validate`]: check one pattern; errors carry AWS's reason text.
//! * [`Pattern`] / [`test_event_pattern`]: one pattern against one event, like the
//!   `TestEventPattern` API.
//!
//! ```
//! use eventbridge_pattern::{test_event_pattern, validate};
//!
//! let pattern = r#"{"source": ["aws.ec2"], "detail": {"state": [{"anything-but": "running"}]}}"#;
//! validate(pattern).unwrap();
//! let event = r#"{"source": "aws.ec2", "detail": {"state": "stopped"}}"#;
//! assert!(test_event_pattern(pattern, event).unwrap());
//! ```

mod cidr;
mod duplicate_keys;
mod error;
mod fold;
mod matcher;
mod number;
mod parse;
mod scan;
mod value;
mod wildcard;

pub use error::{EventError, INVALID_PATTERN_PREFIX, PatternError};
pub use matcher::{Limits, Matcher, MatcherBuilder};
pub use scan::MatchScratch;

/// Checks a pattern with the default [`Limits`] (2048 characters).
///
/// ```
/// use eventbridge_pattern::validate;
///
/// assert!(validate(r#"{"detail-type": [{"prefix": "EC2"}]}"#).is_ok());
/// let err = validate(r#"{"a": [{"NUMERIC": ["=", 5]}]}"#).unwrap_err();
/// assert_eq!(err.reason(), "Unrecognized match type NUMERIC");
/// ```
///
/// # Errors
/// Why the pattern is invalid, with AWS's reason text.
pub fn validate(pattern: &str) -> Result<(), PatternError> {
    validate_with(pattern, &Limits::default())
}

/// Checks a pattern with explicit limits.
///
/// ```
/// use eventbridge_pattern::{validate_with, Limits};
///
/// let long = format!(r#"{{"a": ["{}"]}}"#, "x".repeat(3000));
/// assert!(validate_with(&long, &Limits::default()).is_err());
/// let limits = Limits { max_pattern_chars: 4096, ..Limits::default() };
/// assert!(validate_with(&long, &limits).is_ok());
/// ```
///
/// # Errors
/// Why the pattern is invalid, with AWS's reason text.
pub fn validate_with(pattern: &str, limits: &Limits) -> Result<(), PatternError> {
    matcher::compile_checked(pattern, limits).map(|_| ())
}

/// One compiled pattern.
///
/// ```
/// use eventbridge_pattern::Pattern;
///
/// let p = Pattern::parse(r#"{"detail": {"ip": [{"cidr": "10.0.0.0/8"}]}}"#).unwrap();
/// assert!(p.matches(r#"{"detail": {"ip": "10.1.2.3"}}"#).unwrap());
/// assert!(!p.matches(r#"{"detail": {"ip": "11.1.2.3"}}"#).unwrap());
/// ```
#[derive(Debug)]
pub struct Pattern {
    matcher: Matcher,
}

impl Pattern {
    /// Compiles a pattern with default limits.
    ///
    /// # Errors
    /// Why the pattern is invalid, with AWS's reason text.
    pub fn parse(pattern: &str) -> Result<Pattern, PatternError> {
        Pattern::parse_with(pattern, &Limits::default())
    }

    /// Compiles a pattern with explicit limits.
    ///
    /// ```
    /// use eventbridge_pattern::{Limits, Pattern};
    ///
    /// let tight = Limits { max_pattern_chars: 10, ..Limits::default() };
    /// assert!(Pattern::parse_with(r#"{"source": ["aws.ec2"]}"#, &tight).is_err());
    /// ```
    ///
    /// # Errors
    /// Why the pattern is invalid, with AWS's reason text.
    pub fn parse_with(pattern: &str, limits: &Limits) -> Result<Pattern, PatternError> {
        let mut b = Matcher::builder();
        b.limits(*limits);
        b.add("pattern", pattern)?;
        Ok(Pattern { matcher: b.build() })
    }

    /// Whether the event matches.
    ///
    /// # Errors
    /// The event is not a JSON object, is malformed, or is over a limit.
    pub fn matches(&self, event: impl AsRef<[u8]>) -> Result<bool, EventError> {
        self.matcher.matches_any(event)
    }
}

/// Either side of [`test_event_pattern`] failing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TestError {
    /// The pattern is invalid.
    #[error(transparent)]
    Pattern(#[from] PatternError),
    /// The event could not be read.
    #[error(transparent)]
    Event(#[from] EventError),
}

/// Tests one pattern against one event (what the `TestEventPattern` API does, without its
/// check of the envelope fields).
///
/// ```
/// use eventbridge_pattern::test_event_pattern;
///
/// let p = r#"{"detail": {"a": {"b": [1], "c": [4]}}}"#;
/// // Array consistency: b and c must hold in the same element.
/// let e = r#"{"detail": {"a": [{"b": 1, "c": 2}, {"b": 3, "c": 4}]}}"#;
/// assert!(!test_event_pattern(p, e).unwrap());
/// ```
///
/// # Errors
/// An invalid pattern, or an unreadable event.
pub fn test_event_pattern(pattern: &str, event: impl AsRef<[u8]>) -> Result<bool, TestError> {
    Ok(Pattern::parse(pattern)?.matches(event)?)
}

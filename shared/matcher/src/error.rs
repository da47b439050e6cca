//! Typed errors: invalid patterns (with AWS's reason text) and unreadable events.

use thiserror::Error;

/// The prefix AWS puts in front of every pattern rejection reason.
pub const INVALID_PATTERN_PREFIX: &str = "Event pattern is not valid. Reason: ";

/// Why a pattern was rejected.
///
/// [`reason`](PatternError::reason) is the text AWS returns after
/// `Event pattern is not valid. Reason: `; the `Display` form includes that prefix,
/// so it is the whole message of AWS's `InvalidEventPatternException`.
///
/// ```
/// use eventbridge_pattern::validate;
///
/// let err = validate(r#"{"detail": {"state": []}}"#).unwrap_err();
/// assert_eq!(err.reason(), "Empty arrays are not allowed");
/// assert_eq!(
///     err.to_string(),
///     "Event pattern is not valid. Reason: Empty arrays are not allowed"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PatternError {
    /// The pattern text is not well-formed JSON (the reason mimics Jackson's message).
    #[error("{INVALID_PATTERN_PREFIX}{0}")]
    Json(String),
    /// The JSON is well-formed but is not a valid event pattern (event-ruler's message).
    #[error("{INVALID_PATTERN_PREFIX}{0}")]
    Invalid(String),
    /// A wildcard is over AWS's complexity limit.
    #[error("{INVALID_PATTERN_PREFIX}{}", PatternError::TOO_COMPLEX)]
    TooComplex,
    /// `$or` expands to more sub-patterns than allowed.
    #[error("{INVALID_PATTERN_PREFIX}{}", PatternError::TOO_MANY_OR)]
    TooManyCombinations,
    /// The pattern text is longer than the configured limit.
    #[error(
        "{INVALID_PATTERN_PREFIX}Event pattern is {actual} characters long, over the limit of {limit}"
    )]
    TooLong {
        /// Length of the pattern in characters.
        actual: usize,
        /// The configured limit in characters.
        limit: usize,
    },
    /// The pattern nests objects or arrays deeper than allowed.
    #[error("{INVALID_PATTERN_PREFIX}Event pattern nests deeper than {0} levels")]
    TooDeep(usize),
}

impl PatternError {
    const TOO_COMPLEX: &'static str = "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character";
    const TOO_MANY_OR: &'static str =
        "The $or expressions in the event pattern expand to more than 1000 combinations";

    /// The reason text alone, without the `Event pattern is not valid. Reason: ` prefix.
    ///
    /// ```
    /// let err = eventbridge_pattern::validate("[1]").unwrap_err();
    /// assert_eq!(err.reason(), "Filter is not an object");
    /// ```
    #[must_use]
    pub fn reason(&self) -> String {
        let full = self.to_string();
        full.strip_prefix(INVALID_PATTERN_PREFIX)
            .map_or_else(|| full.clone(), str::to_owned)
    }
}

/// Why an event could not be matched.
///
/// ```
/// use eventbridge_pattern::{EventError, Matcher};
///
/// let matcher = Matcher::builder()
///     .add("r", r#"{"source": ["s"]}"#)
///     .unwrap()
///     .build();
/// assert!(matches!(matcher.matching_names(b"[1]"), Err(EventError::NotAnObject)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EventError {
    /// The event is not a JSON object.
    #[error("event is not a JSON object")]
    NotAnObject,
    /// The event is not well-formed JSON.
    #[error("malformed event JSON at byte {offset}: {message}")]
    Malformed {
        /// Byte offset of the problem.
        offset: usize,
        /// What was wrong.
        message: &'static str,
    },
    /// The event nests objects or arrays deeper than allowed.
    #[error("event nests deeper than {0} levels")]
    TooDeep(usize),
    /// The event is larger than the configured limit.
    #[error("event is {actual} bytes, over the limit of {limit}")]
    TooLarge {
        /// Size of the event in bytes.
        actual: usize,
        /// The configured limit in bytes.
        limit: usize,
    },
}

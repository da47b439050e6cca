//! Publishing errors.

use aws_sdk_eventbridge::error::DisplayErrorContext;

/// An SDK error kept whole (its code, its HTTP response and its sources).
pub type SdkFailure = Box<dyn std::error::Error + Send + Sync>;

/// Why a publish call did not start (nothing was sent) — per-entry outcomes are in the
/// [`Report`](super::Report) instead.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The detail could not be serialized.
    #[error("the detail could not be serialized: {0}")]
    Serialize(#[source] serde_json::Error),
    /// The detail is not a JSON object.
    #[error(
        "the detail must be a JSON object (EventBridge rejects anything else as MalformedDetail)"
    )]
    DetailNotObject,
    /// One entry alone exceeds the request size limit; nothing was sent.
    #[error("entry {index} is {size} bytes, over the {limit}-byte request limit; nothing was sent")]
    EntryTooLarge {
        /// Position of the entry in the input.
        index: usize,
        /// Its size by AWS's formula.
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// The target bus does not exist (PutEvents would accept and drop the events).
    #[error(
        "event bus {0:?} does not exist; refusing to publish to it (PutEvents would drop the events)"
    )]
    BusNotFound(String),
    /// The bus could not be checked.
    #[error("could not check event bus {bus:?}: {}", DisplayErrorContext(&**source))]
    BusCheck {
        /// The bus name.
        bus: String,
        /// The SDK error.
        #[source]
        source: SdkFailure,
    },
    /// A Custom Event Bus entry's `EventGroupId` or `DeduplicationId` is empty or longer than
    /// 128 characters; nothing was sent.
    #[error("entry {index}: {field} must be 1 to 128 characters, found {length}; nothing was sent")]
    InvalidSystemId {
        /// Position of the entry in the input.
        index: usize,
        /// `EventGroupId` or `DeduplicationId`.
        field: &'static str,
        /// Its length in characters.
        length: usize,
    },
    /// A partner event source name breaks the API's rules.
    #[error("invalid partner event source name {name:?}: {reason}")]
    InvalidSourceName {
        /// The name given.
        name: String,
        /// The rule it breaks.
        reason: &'static str,
    },
    /// A partner event source API call failed.
    #[error("{operation} failed for partner event source {name:?}: {}", DisplayErrorContext(&**source))]
    PartnerSource {
        /// The operation.
        operation: &'static str,
        /// The source name.
        name: String,
        /// The SDK error.
        #[source]
        source: SdkFailure,
    },
}

/// How a failed request (not an entry) is treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestErrorKind {
    /// Throttled: retry the whole batch later.
    Throttled,
    /// A timeout, a dropped connection or a server error: retry the whole batch later. The
    /// entries may have been delivered already (a re-send creates new events).
    Transient,
    /// Anything else, including a quota `LimitExceededException` (retrying cannot help): every
    /// entry of the batch fails with the request's error code.
    Permanent,
}

impl RequestErrorKind {
    /// Classifies a request-level error code (`None`: the request never got an answer).
    ///
    /// ```
    /// use eventbridge_lambda::publish::RequestErrorKind;
    /// assert_eq!(RequestErrorKind::classify(Some("ThrottlingException")), RequestErrorKind::Throttled);
    /// assert_eq!(RequestErrorKind::classify(Some("LimitExceededException")), RequestErrorKind::Permanent);
    /// assert_eq!(RequestErrorKind::classify(Some("InternalException")), RequestErrorKind::Transient);
    /// assert_eq!(RequestErrorKind::classify(None), RequestErrorKind::Transient);
    /// ```
    pub fn classify(code: Option<&str>) -> Self {
        match code {
            Some(
                "ThrottlingException"
                | "TooManyRequestsException"
                | "RequestLimitExceeded"
                | "Throttling",
            ) => Self::Throttled,
            None
            | Some(
                "InternalException"
                | "InternalFailure"
                | "ServiceUnavailable"
                | "RequestTimeout"
                | "RequestTimeoutException",
            ) => Self::Transient,
            Some(_) => Self::Permanent,
        }
    }
}

/// Whether a per-entry error code may succeed on a re-send (`InternalFailure`,
/// `ThrottlingException`); every other code is permanent.
///
/// ```
/// use eventbridge_lambda::publish::is_retryable_entry_code;
/// assert!(is_retryable_entry_code("InternalFailure"));
/// assert!(is_retryable_entry_code("ThrottlingException"));
/// assert!(!is_retryable_entry_code("MalformedDetail"));
/// assert!(!is_retryable_entry_code("AccessDeniedException"));
/// ```
pub fn is_retryable_entry_code(code: &str) -> bool {
    matches!(code, "InternalFailure" | "ThrottlingException")
}

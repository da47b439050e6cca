//! What a failed entry's code says: whether the destination is gone, the event is rejected, the
//! sender is at fault, or nobody knows whether the event arrived.

use std::fmt;

/// The publisher's own code for an entry the response has no result for: it may or may not have
/// been delivered.
pub const MISSING_RESULT: &str = "MissingResult";
/// The publisher's own code for an entry whose request got no answer (a timeout, a dropped
/// connection, the remaining time ran out, an answer that could not be read): it may or may not
/// have been delivered.
pub const NO_ANSWER: &str = "NoAnswer";
/// The publisher's own code for an entry that was never sent because the deadline had passed.
pub const DEADLINE_REACHED: &str = "DeadlineReached";
/// The publisher's own code for an entry that has no outcome otherwise (never expected).
pub const NOT_SENT: &str = "NotSent";

/// The class of a failed entry's code (per-entry `ErrorCode` or the request's error code), which
/// decides what a producer does with the event and with its destination.
///
/// Only a code that positively says the destination does not exist is
/// [`DestinationGone`](Self::DestinationGone); every code not listed below is
/// [`Unrecognized`](Self::Unrecognized), so no unknown answer can make a producer drop events.
///
/// ```
/// use eventbridge_lambda::publish::FailureClass;
/// assert_eq!(FailureClass::of("ResourceNotFoundException"), FailureClass::DestinationGone);
/// assert_eq!(FailureClass::of("MalformedDetail"), FailureClass::EventRejected);
/// assert_eq!(FailureClass::of("AccessDeniedException"), FailureClass::NotPermitted);
/// assert_eq!(FailureClass::of("ThrottlingException"), FailureClass::Throttled);
/// assert_eq!(FailureClass::of("InternalFailure"), FailureClass::ServiceError);
/// assert_eq!(FailureClass::of("MissingResult"), FailureClass::UnknownOutcome);
/// assert_eq!(FailureClass::of("SomethingNew"), FailureClass::Unrecognized);
/// assert!(!FailureClass::Unrecognized.may_drop_event());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FailureClass {
    /// The destination (partner event source, event bus) does not exist:
    /// `ResourceNotFoundException`. Nothing sent to it can arrive; a partner deletes its record
    /// of the source (Partner Onboarding Guide: a nonexistent or deleted source rejects events).
    DestinationGone,
    /// The event itself is invalid (`MalformedDetail`, `InvalidArgument`, a request-level
    /// `ValidationException`, `InvalidInputException` (the Custom Event Bus API's) or
    /// `SerializationException`): re-sending it unchanged cannot
    /// succeed, the destination is fine.
    EventRejected,
    /// The sender may not do this: access (`AccessDeniedException`, `NotAuthorizedForSource…`,
    /// `NotAuthorizedForDetailType…`, invalid or expired credentials), account
    /// (`InvalidAccountIdException`), quota (`LimitExceededException`) or Region
    /// (`OperationDisabledException`). The sender's configuration must change; the destination
    /// and the event are fine.
    NotPermitted,
    /// Throttled (`ThrottlingException` and the other throttling codes): retry later.
    Throttled,
    /// A service fault (`InternalFailure`, `InternalException`, `ServiceUnavailable`): retry later.
    ServiceError,
    /// Nobody knows whether the event arrived: the publisher's own [`MISSING_RESULT`],
    /// [`NO_ANSWER`], [`DEADLINE_REACHED`] and [`NOT_SENT`], and `RequestTimeout`. Never treat it
    /// as a verdict on the destination.
    UnknownOutcome,
    /// Any code not listed above.
    Unrecognized,
}

impl FailureClass {
    /// Classifies a per-entry `ErrorCode`, a request's error code or one of the publisher's own
    /// codes.
    pub fn of(code: &str) -> Self {
        match code {
            "ResourceNotFoundException" => Self::DestinationGone,
            "MalformedDetail"
            | "InvalidArgument"
            | "ValidationException"
            | "InvalidInputException"
            | "SerializationException" => Self::EventRejected,
            "AccessDeniedException"
            | "NotAuthorizedForSourceException"
            | "NotAuthorizedForDetailTypeException"
            | "InvalidAccountIdException"
            | "LimitExceededException"
            | "OperationDisabledException"
            | "UnrecognizedClientException"
            | "InvalidClientTokenId"
            | "InvalidSignatureException"
            | "IncompleteSignature"
            | "MissingAuthenticationToken"
            | "ExpiredTokenException" => Self::NotPermitted,
            "ThrottlingException"
            | "TooManyRequestsException"
            | "RequestLimitExceeded"
            | "Throttling" => Self::Throttled,
            "InternalFailure"
            | "InternalException"
            | "ServiceUnavailable"
            | "ServiceUnavailableException" => Self::ServiceError,
            MISSING_RESULT
            | NO_ANSWER
            | DEADLINE_REACHED
            | NOT_SENT
            | "RequestTimeout"
            | "RequestTimeoutException" => Self::UnknownOutcome,
            _ => Self::Unrecognized,
        }
    }

    /// Whether the class allows a producer to stop sending to the destination (and so to drop
    /// later events for it): only [`DestinationGone`](Self::DestinationGone).
    pub fn may_drop_event(self) -> bool {
        self == Self::DestinationGone
    }

    /// A short description, for logs and error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DestinationGone => "the destination does not exist",
            Self::EventRejected => "the event was rejected",
            Self::NotPermitted => "the sender is not permitted",
            Self::Throttled => "throttled",
            Self::ServiceError => "a service error",
            Self::UnknownOutcome => {
                "the outcome is unknown (the event may or may not have arrived)"
            }
            Self::Unrecognized => "an unrecognized error code",
        }
    }
}

impl fmt::Display for FailureClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

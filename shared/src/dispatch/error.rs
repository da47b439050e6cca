//! What became of one event: its outcome, or the error saying why it was not processed.

use crate::ErrorChain;
use crate::decode::{DecodeError, EventId};
use crate::dedup::StoreError;
use aws_lambda_events::event::sqs::SqsBatchResponse;
use serde::Serialize;
use serde_json::value::RawValue;

/// What became of one event that did not fail.
#[derive(Debug)]
pub enum Outcome {
    /// The handler ran; its serialized response.
    Handled(Box<RawValue>),
    /// A duplicate delivery: the handler was skipped; the response stored by the first delivery.
    Duplicate(Option<Box<RawValue>>),
}

impl Outcome {
    /// The response JSON (`None` for a duplicate whose first delivery stored none).
    ///
    /// ```
    /// use eventbridge_lambda::dispatch::Outcome;
    /// assert!(Outcome::Duplicate(None).response().is_none());
    /// ```
    pub fn response(&self) -> Option<&RawValue> {
        match self {
            Self::Handled(response) => Some(response),
            Self::Duplicate(response) => response.as_deref(),
        }
    }
}

/// Why one event was not processed. Each message says what happened to which event.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// The payload is not a usable event of the handler's type.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// Another delivery of the same event is being processed; retry later.
    #[error("event {id} is already being processed by another delivery; it will be retried")]
    InProgress {
        /// The event id (or business key).
        id: String,
    },
    /// The de-duplication store failed; the handler was not run.
    #[error("event {id} was not processed: {error}")]
    Store {
        /// The event id (or business key).
        id: String,
        /// The store failure.
        #[source]
        error: StoreError,
    },
    /// The business key (`dedup_key`) of the event is empty: de-duplicating on it would merge
    /// unrelated events, so the event is not processed.
    #[error(
        "{id}: the de-duplication key is empty; an empty business key would merge unrelated events, so the event was not processed"
    )]
    EmptyBusinessKey {
        /// The event id.
        id: EventId,
    },
    /// An event was processed before under the same business key, but with a different detail:
    /// the key is reused for something else, and skipping this event as a duplicate would lose it.
    #[error(
        "{id}: de-duplication key {key:?} was already used by an event with a different detail; the event was not processed (a business key must identify one detail)"
    )]
    PayloadMismatch {
        /// The event id.
        id: EventId,
        /// The business key.
        key: String,
    },
    /// The handler returned an error.
    #[error("{id}: handler failed: {error}")]
    Handler {
        /// The event id.
        id: EventId,
        /// The handler's error type (its last path segment).
        error_type: &'static str,
        /// The handler's error, with its causes as `source()`.
        #[source]
        error: crate::BoxError,
    },
    /// The handler panicked; the panic was caught and the process stays alive.
    #[error("{id}: handler panicked: {message}")]
    Panicked {
        /// The event id.
        id: EventId,
        /// The panic message.
        message: String,
    },
    /// The handler's response could not be serialized.
    #[error("{id}: response could not be serialized: {error}")]
    Response {
        /// The event id.
        id: EventId,
        /// The serde error.
        #[source]
        error: serde_json::Error,
    },
    /// An SQS record without `messageId`: partial failure cannot be reported, so the whole batch fails.
    #[error("SQS record {index} has no messageId; failing the whole batch so that nothing is lost")]
    RecordWithoutId {
        /// Position of the record in the batch.
        index: usize,
    },
    /// Every record of an SQS batch failed. The invocation fails, so the messages are redelivered
    /// even when the event source mapping lacks `ReportBatchItemFailures` (which would otherwise
    /// read the success response as "all processed" and delete them).
    #[error(
        "all {records} records of the SQS batch failed (each is logged with its cause); failing the invocation so that every message is redelivered"
    )]
    BatchFailed {
        /// Records in the batch.
        records: usize,
    },
    /// A Custom Event Bus delivery with no records: there is nothing to handle, and answering
    /// success would hide a delivery that is not what AWS documents.
    #[error(
        "the Custom Event Bus delivery is an empty array of records; failing the invocation rather than reporting nothing handled as success"
    )]
    CustomBusEmptyBatch,
    /// Records of a Custom Event Bus batch failed (or were not handled because an earlier record
    /// of their event group failed). The invocation fails, so EventBridge retries the batch; the
    /// records already handled are then skipped as duplicates. (With
    /// [`Dispatcher::with_custom_bus_partial_failures`](crate::Dispatcher::with_custom_bus_partial_failures),
    /// only when every record failed or a failed record has no `aws:EventId`.)
    #[error(
        "{} of {records} records of the Custom Event Bus batch were not processed; failing the invocation so that EventBridge retries the batch (handled records are then skipped as duplicates)",
        failed.0.len()
    )]
    CustomBusBatchFailed {
        /// Records in the batch.
        records: usize,
        /// The records not processed, each with why.
        #[source]
        failed: super::FailedRecords,
    },
}

impl EventError {
    /// The `errorType` reported to Lambda.
    ///
    /// ```
    /// use eventbridge_lambda::EventError;
    /// assert_eq!(EventError::InProgress { id: "e".into() }.error_type(), "EventInProgress");
    /// ```
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::Decode(_) => "EventDecodeError",
            Self::InProgress { .. } => "EventInProgress",
            Self::Store { .. } => "DedupStoreError",
            Self::EmptyBusinessKey { .. } => "EmptyBusinessKey",
            Self::PayloadMismatch { .. } => "PayloadMismatch",
            Self::Handler { error_type, .. } => error_type,
            Self::Panicked { .. } => "HandlerPanicked",
            Self::Response { .. } => "ResponseSerializationError",
            Self::RecordWithoutId { .. } => "SqsRecordWithoutId",
            Self::BatchFailed { .. } => "SqsBatchFailed",
            Self::CustomBusEmptyBatch => "CustomBusEmptyBatch",
            Self::CustomBusBatchFailed { .. } => "CustomBusBatchFailed",
        }
    }
}

/// Lambda's error response: `errorType` from [`EventError::error_type`], `errorMessage` the
/// error with every cause in its chain ([`ErrorChain`]).
impl From<EventError> for lambda_runtime::Diagnostic {
    fn from(error: EventError) -> Self {
        Self {
            error_type: error.error_type().to_owned(),
            error_message: ErrorChain(&error).to_string(),
        }
    }
}

/// The invocation's response: the handler's response for a direct event, or the partial batch
/// response for an SQS batch or a Custom Event Bus batch.
#[derive(Debug)]
pub enum Response {
    /// Direct event: the handler's (or the stored) response, `null` when there is none.
    Direct(Option<Box<RawValue>>),
    /// SQS batch: the ids of the records to redeliver.
    Batch(SqsBatchResponse),
    /// Custom Event Bus batch: `{"batchItemFailures": [...]}`, the failed records by
    /// `aws:EventId` (empty unless the partial response is opted in).
    CustomBus(super::CustomBusBatchResponse),
}

impl Serialize for Response {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Direct(response) => response.serialize(serializer),
            Self::Batch(batch) => batch.serialize(serializer),
            Self::CustomBus(batch) => batch.serialize(serializer),
        }
    }
}

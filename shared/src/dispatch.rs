//! The per-event pipeline and the two delivery modes.
//!
//! A [`Dispatcher`] turns one Lambda payload into handler calls:
//!
//! * **direct rule target**: the payload *is* the EventBridge event. The handler's response is the
//!   invocation's response; a failure fails the invocation, so Lambda retries it (two more
//!   attempts for asynchronous invocations) and then sends it to the on-failure destination.
//! * **SQS event source** (a rule targets a queue, the function consumes the queue): the payload is
//!   `{"Records": [...]}` and every message body is an EventBridge event. Each record is decoded,
//!   de-duplicated and handled on its own; failed records are returned as `batchItemFailures`, so
//!   only they are redelivered (and moved to the queue's dead-letter queue after its
//!   `maxReceiveCount`). Needs `FunctionResponseTypes: [ReportBatchItemFailures]` on the mapping.
//!
//! The mode is recognised from the payload (an EventBridge envelope never has a `Records` key), so
//! one binary serves both wirings.

use crate::decode::{
    Batch, DecodeError, EventId, Payload, decode_event, decode_payload, decode_str,
};
use crate::dedup::{Claim, DedupStore, MemoryStore, StoreError};
use crate::{Context, Detail, Event};
use aws_lambda_events::event::sqs::SqsBatchResponse;
use futures_util::FutureExt;
use futures_util::future::Either;
use serde::Serialize;
use serde_json::value::RawValue;
use std::any::Any;
use std::fmt::Display;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use tracing::instrument::Instrumented;
use tracing::{Instrument, error, info, info_span, warn};

/// A user handler: an async function of the event and the invocation context.
///
/// Implemented for every `Fn(Event<T>, Context) -> impl Future<Output = Result<O, E>>`; the
/// `#[handler]` macro builds such a closure around your function.
pub trait EventHandler<T> {
    /// The response, stored for duplicates and returned to direct invocations.
    type Output: Serialize;
    /// The error; its message is logged and reported.
    type Error: Display;
    /// Handles one event.
    fn call(
        &self,
        event: Event<T>,
        ctx: Context,
    ) -> impl Future<Output = Result<Self::Output, Self::Error>>;
}

impl<T, F, Fut, O, E> EventHandler<T> for F
where
    F: Fn(Event<T>, Context) -> Fut,
    Fut: Future<Output = Result<O, E>>,
    O: Serialize,
    E: Display,
{
    type Output = O;
    type Error = E;

    fn call(&self, event: Event<T>, ctx: Context) -> impl Future<Output = Result<O, E>> {
        self(event, ctx)
    }
}

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
        /// The event id.
        id: String,
    },
    /// The de-duplication store failed; the handler was not run.
    #[error("event {id} was not processed: {error}")]
    Store {
        /// The event id.
        id: String,
        /// The store failure.
        #[source]
        error: StoreError,
    },
    /// The handler returned an error.
    #[error("{id}: handler failed: {message}")]
    Handler {
        /// The event id.
        id: EventId,
        /// The handler's error type (its last path segment).
        error_type: &'static str,
        /// The handler's error message.
        message: String,
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
            Self::Handler { error_type, .. } => error_type,
            Self::Panicked { .. } => "HandlerPanicked",
            Self::Response { .. } => "ResponseSerializationError",
            Self::RecordWithoutId { .. } => "SqsRecordWithoutId",
        }
    }
}

impl From<EventError> for lambda_runtime::Diagnostic {
    fn from(error: EventError) -> Self {
        Self {
            error_type: error.error_type().to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// The invocation's response: the handler's response for a direct event, or the partial batch
/// response for an SQS batch.
#[derive(Debug)]
pub enum Response {
    /// Direct event: the handler's (or the stored) response, `null` when there is none.
    Direct(Option<Box<RawValue>>),
    /// SQS batch: the ids of the records to redeliver.
    Batch(SqsBatchResponse),
}

impl Serialize for Response {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Direct(response) => response.serialize(serializer),
            Self::Batch(batch) => batch.serialize(serializer),
        }
    }
}

/// Picks a de-duplication key (a business key) from an event; `None` falls back to the event id.
pub type KeyOf<T> = fn(&Event<T>) -> Option<String>;

/// How long a claim stays in progress when the invocation has no deadline (15 minutes).
const IN_PROGRESS_WITHOUT_DEADLINE_MS: u64 = 15 * 60 * 1000;

/// Runs a handler over payloads: decode, de-duplicate, call, record the outcome.
///
/// ```
/// use eventbridge_lambda::{Context, Dispatcher, Event, OrderCreated};
/// use eventbridge_lambda::dispatch::Response;
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let dispatcher = Dispatcher::new(|event: Event<OrderCreated>, _ctx: Context| async move {
///     Ok::<_, std::convert::Infallible>(event.detail.items.len())
/// });
/// let payload = std::fs::read("../events/order-created.json").unwrap();
/// let first = dispatcher.invoke(&payload, Context::default()).await.unwrap();
/// let again = dispatcher.invoke(&payload, Context::default()).await.unwrap(); // a duplicate
/// assert_eq!(serde_json::to_string(&first).unwrap(), "1");
/// assert_eq!(serde_json::to_string(&again).unwrap(), "1"); // the stored response
/// # });
/// ```
pub struct Dispatcher<T, H> {
    handler: H,
    key_of: Option<KeyOf<T>>,
    store: Arc<dyn DedupStore>,
    namespace: String,
    inject_panic_for: Option<String>,
    _detail: PhantomData<fn() -> T>,
}

impl<T, H> Dispatcher<T, H>
where
    T: Detail,
    H: EventHandler<T>,
{
    /// A dispatcher with a default [`MemoryStore`] and the namespace `local`.
    pub fn new(handler: H) -> Self {
        Self {
            handler,
            key_of: None,
            store: Arc::new(MemoryStore::default()),
            namespace: "local".to_owned(),
            inject_panic_for: None,
            _detail: PhantomData,
        }
    }

    /// Uses `store` for de-duplication.
    pub fn with_store(mut self, store: Arc<dyn DedupStore>) -> Self {
        self.store = store;
        self
    }

    /// De-duplicates on a business key taken from the event (e.g. the detail's `order_id`) instead
    /// of the event id: a producer that re-sends a PutEvents entry creates a new event with a new
    /// id but the same business key. Events for which `key_of` returns `None` fall back to the id.
    ///
    /// ```
    /// use eventbridge_lambda::{Context, Dispatcher, Event, OrderCreated};
    /// let dispatcher = Dispatcher::new(|event: Event<OrderCreated>, _: Context| async move {
    ///     Ok::<_, std::convert::Infallible>(())
    /// })
    /// .with_key(|event| Some(event.detail.order_id.clone()));
    /// # let _ = dispatcher;
    /// ```
    pub fn with_key(mut self, key_of: KeyOf<T>) -> Self {
        self.key_of = Some(key_of);
        self
    }

    /// Prefixes every de-duplication key with `namespace` (the function name), so that one store
    /// can serve many functions.
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// Fault injection for resilience tests: the handler scope panics for the event with this id,
    /// exactly where a panic in user code would happen. Set by the runtime from
    /// `EVENTBRIDGE_LAMBDA_INJECT_PANIC_FOR_ID`; never set it in production.
    pub fn inject_panic_for(mut self, event_id: Option<String>) -> Self {
        self.inject_panic_for = event_id;
        self
    }

    /// Handles one Lambda payload in whichever delivery mode it is.
    ///
    /// # Errors
    /// For a direct event, the [`EventError`] that fails the invocation. For an SQS batch only
    /// [`EventError::RecordWithoutId`]; every other failure is a `batchItemFailures` entry.
    pub async fn invoke(&self, payload: &[u8], ctx: Context) -> Result<Response, EventError> {
        let event = match decode_payload::<T>(payload) {
            Payload::Direct(Ok(event)) => event,
            Payload::Direct(Err(error)) => {
                return Err(Self::direct_failure(EventError::Decode(error)));
            }
            Payload::Batch(batch) => {
                // Boxed: the batch state would otherwise enlarge every direct invocation's future.
                return Box::pin(self.invoke_batch(batch, ctx))
                    .await
                    .map(Response::Batch);
            }
        };
        match self.process_decoded(event, ctx).await {
            Ok(outcome) => Ok(Response::Direct(match outcome {
                Outcome::Handled(response) => Some(response),
                Outcome::Duplicate(response) => response,
            })),
            Err(error) => Err(Self::direct_failure(error)),
        }
    }

    fn direct_failure(error: EventError) -> EventError {
        error!(
            error = %error,
            "event failed; the invocation fails so Lambda retries it, then sends it to the on-failure destination"
        );
        error
    }

    async fn invoke_batch(
        &self,
        batch: Batch<'_>,
        ctx: Context,
    ) -> Result<SqsBatchResponse, EventError> {
        // Checked before anything runs: a record that cannot be reported alone fails the whole
        // batch, and no side effect happens for a batch that will be redelivered.
        if let Some(index) = batch
            .messages
            .iter()
            .position(|record| record.message_id.is_none())
        {
            error!(
                index,
                "SQS record without messageId; failing the whole batch so it is redelivered"
            );
            return Err(EventError::RecordWithoutId { index });
        }
        let mut response = SqsBatchResponse::default();
        let mut fifo_blocked = false;
        for record in &batch.messages {
            let message_id = record.message_id.as_deref().unwrap_or_default();
            let span = info_span!("sqs_record", message_id);
            async {
                if fifo_blocked {
                    warn!("not processed: an earlier record of this FIFO batch failed; returned to the queue to keep order");
                    response.add_failure(message_id);
                    return;
                }
                let result = match batch.body(record).map(decode_str::<T>) {
                    Some(Ok(event)) => self.process_decoded(event, ctx.clone()).await,
                    Some(Err(error)) => Err(EventError::Decode(error)),
                    None => Err(EventError::Decode(DecodeError::Envelope {
                        id: EventId(None),
                        reason: "the SQS message has no body".to_owned(),
                    })),
                };
                if let Err(error) = result {
                    error!(
                        error = %error,
                        "record failed; reported in batchItemFailures so SQS redelivers it (then its dead-letter queue)"
                    );
                    response.add_failure(message_id);
                    fifo_blocked = record.event_source_arn.as_deref().is_some_and(|arn| arn.ends_with(".fifo"));
                }
            }
            .instrument(span)
            .await;
        }
        Ok(response)
    }

    /// Decodes one event, de-duplicates it and runs the handler.
    ///
    /// # Errors
    /// The [`EventError`] saying why the event was not processed.
    pub async fn process(&self, payload: &[u8], ctx: &Context) -> Result<Outcome, EventError> {
        self.process_decoded(decode_event::<T>(payload)?, ctx.clone())
            .await
    }

    /// De-duplicates a decoded event and runs the handler, in the event's span. (A plain function
    /// rather than an `async fn`: one future less around the event's, which every invocation moves.)
    fn process_decoded(
        &self,
        event: Event<T>,
        ctx: Context,
    ) -> Instrumented<impl Future<Output = Result<Outcome, EventError>>> {
        let span = info_span!(
            "event",
            event_id = event.id.as_deref().unwrap_or("-"),
            source = %event.source,
            detail_type = %event.detail_type,
        );
        self.process_event(event, ctx).instrument(span)
    }

    /// Claims the event's key, calls the handler, then records the outcome. One future (no nested
    /// `async fn`s), and an `async` block rather than an `async fn`, whose arguments would be
    /// held twice: the event and the context are held once, then moved into the handler.
    #[allow(clippy::manual_async_fn)] // deliberate, see above
    fn process_event(
        &self,
        event: Event<T>,
        ctx: Context,
    ) -> impl Future<Output = Result<Outcome, EventError>> {
        async move {
            let business_key = self.key_of.and_then(|key_of| key_of(&event));
            let key = match business_key.as_deref().or(event.id.as_deref()) {
                Some(id) => {
                    let mut key = String::with_capacity(self.namespace.len() + 1 + id.len());
                    key.push_str(&self.namespace);
                    key.push('#');
                    key.push_str(id);
                    Some(key)
                }
                None => {
                    warn!("event has no id; processing it without de-duplication");
                    None
                }
            };
            let id = key.as_deref().map(|key| &key[self.namespace.len() + 1..]);
            // Errors name the event by its id even when the key is a business key.
            let event_id = business_key.is_some().then(|| event.id.clone()).flatten();
            let label = event_id.as_deref().or(id);
            if let (Some(key), Some(id)) = (&key, id) {
                // A claim lapses at the invocation's deadline; without one (local runs), after 15
                // minutes, Lambda's longest timeout.
                let in_progress_until = if ctx.deadline > 0 {
                    ctx.deadline
                } else {
                    crate::dedup::now_ms().saturating_add(IN_PROGRESS_WITHOUT_DEADLINE_MS)
                };
                match self.store.claim(key, in_progress_until).await {
                    Ok(Claim::Acquired) => {}
                    Ok(Claim::Completed(response)) => {
                        info!(dedup_key = %id, "duplicate delivery skipped: event already processed");
                        return Ok(Outcome::Duplicate(response));
                    }
                    Ok(Claim::InProgress) => {
                        return Err(EventError::InProgress { id: id.to_owned() });
                    }
                    Err(error) => {
                        return Err(EventError::Store {
                            id: id.to_owned(),
                            error,
                        });
                    }
                }
            }

            let inject_panic =
                self.inject_panic_for.is_some() && self.inject_panic_for.as_deref() == label;
            let outcome = self.call_handler(event, ctx, inject_panic).await;
            let result = Self::response(outcome, label);

            if let Some(key) = &key {
                match &result {
                    Ok(response) => {
                        if let Err(error) = self.store.complete(key, Some(response)).await {
                            // The side effects happened; failing now would run them again on retry.
                            warn!(error = %error, "event processed but its completion could not be recorded");
                        }
                    }
                    Err(_) => {
                        if let Err(error) = self.store.release(key).await {
                            warn!(error = %error, "could not release the claim; it lapses at the invocation deadline");
                        }
                    }
                }
            }
            result.map(Outcome::Handled)
        }
    }

    /// Calls the handler, catching a panic both in the call and while its future runs. (A plain
    /// function returning the future, so that the caller holds that future only once.)
    fn call_handler(
        &self,
        event: Event<T>,
        ctx: Context,
        inject_panic: bool,
    ) -> impl Future<Output = Result<Result<H::Output, H::Error>, Box<dyn Any + Send>>> {
        let call = std::panic::catch_unwind(AssertUnwindSafe(|| {
            if inject_panic {
                #[allow(clippy::panic)] // deliberate: fault injection for resilience tests
                {
                    panic!("injected panic (EVENTBRIDGE_LAMBDA_INJECT_PANIC_FOR_ID)");
                }
            }
            // Boxed: the caller's future (which every invocation moves several times) then holds
            // a pointer instead of the handler's whole future, with the event and context in it.
            Box::pin(self.handler.call(event, ctx))
        }));
        match call {
            Ok(future) => Either::Left(AssertUnwindSafe(future).catch_unwind()),
            Err(panic) => Either::Right(std::future::ready(Err(panic))),
        }
    }

    /// The handler's outcome as its serialized response or an error. `id` names the event in
    /// errors (the event itself was moved into the handler).
    fn response(
        outcome: Result<Result<H::Output, H::Error>, Box<dyn Any + Send>>,
        id: Option<&str>,
    ) -> Result<Box<RawValue>, EventError> {
        let id = || EventId(id.map(str::to_owned));
        match outcome {
            Ok(Ok(output)) => serde_json::value::to_raw_value(&output)
                .map_err(|error| EventError::Response { id: id(), error }),
            Ok(Err(error)) => Err(EventError::Handler {
                id: id(),
                error_type: short_type_name::<H::Error>(),
                message: error.to_string(),
            }),
            Err(panic) => Err(EventError::Panicked {
                id: id(),
                message: panic_message(panic.as_ref()),
            }),
        }
    }
}

fn short_type_name<E>() -> &'static str {
    let full = std::any::type_name::<E>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

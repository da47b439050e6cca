//! The per-event pipeline and the three delivery modes.
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
//!   When every record fails, the invocation fails, so nothing is deleted even without it.
//! * **Custom Event Bus subscriber** (eventbridgev2): the payload is a JSON array of records (or
//!   one record when the subscriber's `MaxBatchSize` is 1); a record is the Classic envelope
//!   (`Transformer: RAW`) or `{Data, Metadata, SystemMetadata}` (`WITH_METADATA`), whose metadata
//!   the handler reads with [`Event::custom_bus`]. Records are handled one after the other in
//!   array order and de-duplicated on `aws:EventId`; a failure stops the rest of its event group.
//!   Any failure fails the invocation unless a partial response is opted in
//!   ([`Dispatcher::with_custom_bus_partial_failures`]). A single `RAW` record is the Classic
//!   envelope alone, which nothing tells from a direct rule invocation: it is handled as one, with
//!   the same result.
//!
//! The mode is recognised from the payload (an EventBridge envelope never has a `Records` key, is
//! never an array and has no `Data`/`SystemMetadata` keys), so one binary serves every wiring.

//!
//! Modules, in the order an event meets them: [`batch`] (the SQS loop), `custom_bus` (the Custom
//! Event Bus loop), `key` (the
//! de-duplication key, claim token and payload hash), `handler` (the user's function, its panics
//! caught), `error` (outcomes and errors).

mod batch;
mod custom_bus;
mod error;
mod handler;
mod key;

pub use custom_bus::{
    BatchItemFailure, CustomBusBatchResponse, FailedRecord, FailedRecords, RecordFailure,
};
pub use error::{EventError, Outcome, Response};
pub use handler::EventHandler;
pub use key::{BusinessKey, KeyOf};

use crate::decode::{EventId, Payload, decode_event, decode_payload};
use crate::dedup::{Claim, ClaimRequest, DedupStore, MemoryStore, Settled};
use crate::metrics::{Metrics, Tally};
use crate::{Context, Detail, ErrorChain, Event};
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use tracing::instrument::Instrumented;
use tracing::{Instrument, error, info, info_span, warn};

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
    metrics: Option<Metrics>,
    custom_bus_partial_failures: bool,
    _detail: PhantomData<fn() -> T>,
}

impl<T, H> Dispatcher<T, H>
where
    T: Detail,
    H: EventHandler<T>,
{
    /// A dispatcher with a default [`MemoryStore`], the namespace `local` and no metrics.
    pub fn new(handler: H) -> Self {
        Self {
            handler,
            key_of: None,
            store: Arc::new(MemoryStore::default()),
            namespace: "local".to_owned(),
            metrics: None,
            custom_bus_partial_failures: false,
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
    /// id but the same business key. Events for which `key_of` returns `None` fall back to the id;
    /// an empty key fails the event ([`EventError::EmptyBusinessKey`]). With a business key, the
    /// record keeps a hash of the detail, and a later event with the same key but a different
    /// detail fails ([`EventError::PayloadMismatch`]) instead of being skipped.
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

    /// Decodes `payload` (one EventBridge event) as this pipeline's event type, without running
    /// anything: the decode [`Dispatcher::invoke`] applies to a direct event.
    ///
    /// ```
    /// use eventbridge_lambda::{Context, Dispatcher, Event, OrderCreated};
    /// let dispatcher = Dispatcher::new(|event: Event<OrderCreated>, _: Context| async move {
    ///     Ok::<_, std::convert::Infallible>(())
    /// });
    /// let order = std::fs::read("../events/order-created.json").unwrap();
    /// assert!(dispatcher.decode(&order).is_ok());
    /// let ec2 = std::fs::read("../events/ec2-stopped.json").unwrap();
    /// assert!(dispatcher.decode(&ec2).is_err()); // another event type
    /// ```
    ///
    /// # Errors
    /// The [`DecodeError`](crate::DecodeError) `invoke` would fail the event with.
    pub fn decode(&self, payload: &[u8]) -> Result<Event<T>, crate::DecodeError> {
        decode_event::<T>(payload)
    }

    /// Decodes one record of a Custom Event Bus delivery (`RAW` or `WITH_METADATA`) as this
    /// pipeline's event type, without running anything: the decode [`Dispatcher::invoke`] applies
    /// to each record of such a delivery.
    ///
    /// ```
    /// use eventbridge_lambda::{Context, Dispatcher, Event, OrderCreated};
    /// let dispatcher = Dispatcher::new(|event: Event<OrderCreated>, _: Context| async move {
    ///     Ok::<_, std::convert::Infallible>(())
    /// });
    /// let record = std::fs::read("../events/eventbridgev2/with-metadata-single.json").unwrap();
    /// let event = dispatcher.decode_record(&record).unwrap();
    /// assert_eq!(event.custom_bus().unwrap().system.event_group_id.as_deref(), Some("order-1001"));
    /// ```
    ///
    /// # Errors
    /// The [`DecodeError`](crate::DecodeError) `invoke` would fail the record with.
    pub fn decode_record(&self, record: &[u8]) -> Result<Event<T>, crate::DecodeError> {
        crate::decode::decode_custom_bus_record::<T>(record)
    }

    /// Writes one line of CloudWatch Embedded Metric Format metrics per invocation with
    /// `metrics` ([`Metrics::from_env`] at cold start); `None` turns metrics off (the default).
    ///
    /// ```
    /// use eventbridge_lambda::{Context, Dispatcher, Event, OrderCreated};
    /// use eventbridge_lambda::metrics::Metrics;
    /// let dispatcher = Dispatcher::new(|event: Event<OrderCreated>, _: Context| async move {
    ///     Ok::<_, std::convert::Infallible>(())
    /// })
    /// .with_metrics(Some(Metrics::new("Shop", "inventory", std::io::stdout())));
    /// # let _ = dispatcher;
    /// ```
    pub fn with_metrics(mut self, metrics: Option<Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// Handles one Lambda payload in whichever delivery mode it is, then writes the invocation's
    /// metrics (when configured).
    ///
    /// # Errors
    /// For a direct event, the [`EventError`] that fails the invocation. For an SQS batch,
    /// [`EventError::RecordWithoutId`], or [`EventError::BatchFailed`] when every record failed;
    /// every other failure is a `batchItemFailures` entry. For a Custom Event Bus batch,
    /// [`EventError::CustomBusEmptyBatch`], or [`EventError::CustomBusBatchFailed`] when a record
    /// failed (see [`Dispatcher::with_custom_bus_partial_failures`]).
    ///
    /// (A plain function returning an `async` block, like `process_event`: the context is held
    /// once, and the metrics add no future of their own around the invocation's.)
    #[allow(clippy::manual_async_fn)] // deliberate, see above
    pub fn invoke<'a>(
        &'a self,
        payload: &'a [u8],
        ctx: Context,
    ) -> impl Future<Output = Result<Response, EventError>> + 'a {
        async move {
            let tally = Tally::new(self.metrics.is_some(), &ctx);
            // A labelled block rather than a `match` with `.await`s in its arms, which would keep
            // the decoded payload alive (and the future larger) while the handler runs.
            let result = 'invocation: {
                let event = match decode_payload::<T>(payload) {
                    Payload::Direct(Ok(event)) => event,
                    Payload::Direct(Err(error)) => {
                        let error = EventError::Decode(error);
                        tally.failed(&error, 1);
                        break 'invocation Err(Self::direct_failure(error));
                    }
                    Payload::Batch(batch) => {
                        // Boxed: the batch state would otherwise enlarge every direct invocation's
                        // future.
                        break 'invocation Box::pin(self.invoke_batch(batch, ctx, &tally))
                            .await
                            .map(Response::Batch);
                    }
                    Payload::CustomBus(records) => {
                        break 'invocation Box::pin(self.invoke_custom_bus(&records, ctx, &tally))
                            .await
                            .map(Response::CustomBus);
                    }
                };
                let result = self.process_decoded(event, ctx, payload, &tally).await;
                tally.event(&result);
                match result {
                    Ok(outcome) => Ok(Response::Direct(match outcome {
                        Outcome::Handled(response) => Some(response),
                        Outcome::Duplicate(response) => response,
                    })),
                    Err(error) => Err(Self::direct_failure(error)),
                }
            };
            if let Some(metrics) = &self.metrics {
                metrics.emit(&tally);
            }
            result
        }
    }

    fn direct_failure(error: EventError) -> EventError {
        error!(
            error = %ErrorChain(&error),
            "event failed; the invocation fails so Lambda retries it, then sends it to the on-failure destination"
        );
        error
    }

    /// Decodes one event, de-duplicates it and runs the handler.
    ///
    /// # Errors
    /// The [`EventError`] saying why the event was not processed.
    pub async fn process(&self, payload: &[u8], ctx: &Context) -> Result<Outcome, EventError> {
        let uncounted = Tally::default();
        self.process_decoded(
            decode_event::<T>(payload)?,
            ctx.clone(),
            payload,
            &uncounted,
        )
        .await
    }

    /// De-duplicates a decoded event and runs the handler, in the event's span. `raw` is the
    /// event's JSON text (hashed for payload validation when the key is a business key); the
    /// handler's duration goes to `tally`. (A plain
    /// function rather than an `async fn`: one future less around the event's, which every
    /// invocation moves.)
    fn process_decoded<'a>(
        &'a self,
        event: Event<T>,
        ctx: Context,
        raw: &'a [u8],
        tally: &'a Tally,
    ) -> Instrumented<impl Future<Output = Result<Outcome, EventError>> + 'a> {
        let span = info_span!(
            "event",
            event_id = event.id.as_deref().unwrap_or("-"),
            source = %event.source,
            detail_type = %event.detail_type,
        );
        self.process_event(event, ctx, raw, tally).instrument(span)
    }

    /// Claims the event's key, calls the handler, then records the outcome. One future (no nested
    /// `async fn`s), and an `async` block rather than an `async fn`, whose arguments would be
    /// held twice: the event and the context are held once, then moved into the handler.
    #[allow(clippy::manual_async_fn)] // deliberate, see above
    fn process_event<'a>(
        &'a self,
        event: Event<T>,
        ctx: Context,
        raw: &'a [u8],
        tally: &'a Tally,
    ) -> impl Future<Output = Result<Outcome, EventError>> + 'a {
        async move {
            let business_key = self.key_of.and_then(|key_of| key_of(&event));
            if business_key
                .as_deref()
                .is_some_and(|key| key.trim().is_empty())
            {
                return Err(EventError::EmptyBusinessKey {
                    id: EventId(event.id.clone()),
                });
            }
            // Without a business key: the Custom Event Bus's `aws:EventId` when the record has
            // one, else the envelope id.
            let key = match business_key.as_deref().or(event.delivery_id()) {
                Some(id) => Some(key::dedup_key(&self.namespace, id)),
                None => {
                    warn!("event has no id; processing it without de-duplication");
                    None
                }
            };
            let id = key.as_deref().map(|key| &key[self.namespace.len() + 1..]);
            // Errors name the event by its id even when the key is a business key.
            let event_id = business_key.is_some().then(|| event.id.clone()).flatten();
            let label = event_id.as_deref().or(id);
            // Payload validation: a business key must identify one detail.
            let payload_hash = business_key
                .is_some()
                .then(|| key::detail_hash(raw))
                .flatten();
            let token = key.is_some().then(key::claim_token);
            // A claim lapses at the invocation's deadline; without one (local runs), after 15
            // minutes, Lambda's longest timeout.
            let in_progress_until = if ctx.deadline > 0 {
                ctx.deadline
            } else {
                crate::dedup::now_ms().saturating_add(IN_PROGRESS_WITHOUT_DEADLINE_MS)
            };
            let claim = key.as_deref().zip(token.as_deref()).map(|(key, token)| {
                ClaimRequest::new(key, token, in_progress_until)
                    .with_payload_hash(payload_hash.as_deref())
            });
            if let (Some(claim), Some(id)) = (&claim, id) {
                match self.store.claim(claim).await {
                    Ok(Claim::Acquired) => {}
                    Ok(Claim::Completed(completed)) => {
                        if let (Some(stored), Some(ours)) = (&completed.payload_hash, &payload_hash)
                            && stored != ours
                        {
                            return Err(EventError::PayloadMismatch {
                                id: EventId(event.id.clone()),
                                key: id.to_owned(),
                            });
                        }
                        info!(dedup_key = %id, "duplicate delivery skipped: event already processed");
                        return Ok(Outcome::Duplicate(completed.response));
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

            let started = tally.handler_starts();
            let called = handler::call(&self.handler, event, ctx).await;
            tally.handler_ran(started);
            let result = handler::response::<T, H>(called, label);

            if let Some(claim) = &claim {
                self.settle(claim, &result).await;
            }
            result.map(Outcome::Handled)
        }
    }

    /// Records the handler's result in the store: completion with the response, or release of
    /// the claim after a failure. Neither changes the event's result:
    ///
    /// * a completion that cannot be written leaves the claim in progress until the invocation's
    ///   deadline. The event *was* handled, so its response is returned; a redelivery before the
    ///   deadline fails as in progress and is retried, one after it runs the handler again. Logged
    ///   at error level;
    /// * a completion or release that finds the key taken over (this invocation outlived its
    ///   in-progress deadline and another delivery claimed the key) leaves that delivery's record
    ///   as it is. Logged at warning level: both deliveries may have run the handler.
    async fn settle(
        &self,
        claim: &ClaimRequest<'_>,
        result: &Result<Box<serde_json::value::RawValue>, EventError>,
    ) {
        match result {
            Ok(response) => match self.store.complete(claim, Some(response)).await {
                Ok(Settled::Recorded) => {}
                Ok(Settled::TakenOver) => warn!(
                    dedup_key = claim.key,
                    "event processed, but its claim had lapsed and another delivery took the key over; that delivery's record is kept (the handler may have run twice)"
                ),
                Err(error) => error!(
                    error = %ErrorChain(&error),
                    "event processed, but its completion could not be recorded; the response is returned, and a redelivery after the invocation's deadline would run the handler again"
                ),
            },
            Err(_) => match self.store.release(claim).await {
                Ok(Settled::Recorded) => {}
                Ok(Settled::TakenOver) => info!(
                    dedup_key = claim.key,
                    "the claim was taken over by another delivery; its record is kept"
                ),
                Err(error) => warn!(
                    error = %ErrorChain(&error),
                    "could not release the claim; it lapses at the invocation deadline"
                ),
            },
        }
    }
}

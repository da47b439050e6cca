//! The Custom Event Bus (eventbridgev2) delivery mode: the records of a batch handled one after
//! the other in array order, each decoded, de-duplicated (on `aws:EventId`) and handled on its
//! own; a failure stops the rest of its event group.
//!
//! AWS's Lambda target documentation for the Custom Event Bus does not say that the function can
//! report a partial batch failure, so by default any failed record fails the invocation
//! ([`EventError::CustomBusBatchFailed`]): EventBridge retries the whole batch, and the records
//! already handled are skipped as duplicates. [`Dispatcher::with_custom_bus_partial_failures`]
//! opts in to a `batchItemFailures` response instead (unconfirmed by AWS's Lambda target page;
//! AWS's agent toolkit describes it, with `itemIdentifier` not pinned down: the record's
//! `aws:EventId` is used).

use super::{Dispatcher, EventError, EventHandler};
use crate::decode::custom_bus::{Group, decode_record};
use crate::metrics::Tally;
use crate::{Context, Detail, ErrorChain};
use serde::Serialize;
use serde_json::value::RawValue;
use std::collections::HashSet;
use std::fmt;
use tracing::{Instrument, error, info_span, warn};

/// The response to a Custom Event Bus batch: the records to deliver again, by `aws:EventId`.
/// Empty when every record was handled (or skipped as a duplicate).
///
/// ```
/// use eventbridge_lambda::dispatch::CustomBusBatchResponse;
/// let response = CustomBusBatchResponse::default();
/// assert_eq!(serde_json::to_string(&response).unwrap(), r#"{"batchItemFailures":[]}"#);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomBusBatchResponse {
    /// The records that failed (only with
    /// [`Dispatcher::with_custom_bus_partial_failures`]; otherwise a failure fails the invocation).
    pub batch_item_failures: Vec<BatchItemFailure>,
}

/// One record to deliver again.
///
/// ```
/// use eventbridge_lambda::dispatch::BatchItemFailure;
/// let failure = BatchItemFailure { item_identifier: "bus-1".into() };
/// assert_eq!(serde_json::to_string(&failure).unwrap(), r#"{"itemIdentifier":"bus-1"}"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchItemFailure {
    /// The record's `aws:EventId`.
    pub item_identifier: String,
}

/// A record of a Custom Event Bus batch that was not processed, and why.
#[derive(Debug)]
pub struct FailedRecord {
    /// Position of the record in the batch.
    pub index: usize,
    /// The record's `aws:EventId`, when it has one (`WITH_METADATA`).
    pub bus_event_id: Option<String>,
    /// The record's `EventGroupId`, when it has one.
    pub event_group_id: Option<String>,
    /// Why it was not processed.
    pub reason: RecordFailure,
}

/// Why a record of a Custom Event Bus batch was not processed.
#[derive(Debug, thiserror::Error)]
pub enum RecordFailure {
    /// The record was decoded or handled and failed.
    #[error(transparent)]
    Failed(EventError),
    /// The record was not handled: an earlier record of its event group failed (or, for a record
    /// that does not say its group, an earlier record that may have been of the same group).
    #[error(
        "not handled: an earlier record of its event group failed, and the group's order is kept"
    )]
    GroupStopped,
}

/// The failed records of a Custom Event Bus batch, in batch order. Displays each with its cause.
#[derive(Debug, Default)]
pub struct FailedRecords(pub Vec<FailedRecord>);

impl fmt::Display for FailedRecords {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, record) in self.0.iter().enumerate() {
            if position > 0 {
                f.write_str("; ")?;
            }
            write!(f, "record {}", record.index)?;
            if let Some(id) = &record.bus_event_id {
                write!(f, " (aws:EventId {id})")?;
            }
            if let Some(group) = &record.event_group_id {
                write!(f, " (group {group})")?;
            }
            match &record.reason {
                RecordFailure::Failed(error) => write!(f, ": {}", ErrorChain(error))?,
                stopped @ RecordFailure::GroupStopped => write!(f, ": {stopped}")?,
            }
        }
        Ok(())
    }
}

/// The causes are in the text (each record's whole chain), so the list has no single `source()`.
impl std::error::Error for FailedRecords {}

/// The groups with a failed record so far, and which later records they stop.
#[derive(Default)]
struct StoppedGroups {
    named: HashSet<String>,
    /// A record that does not say its group failed: it may have been of any group.
    unknown: bool,
}

impl StoppedGroups {
    fn stops(&self, group: &Group) -> bool {
        match group {
            Group::Named(name) => self.unknown || self.named.contains(name),
            Group::Ungrouped => false,
            Group::Unknown => self.unknown || !self.named.is_empty(),
        }
    }

    fn stop(&mut self, group: &Group) {
        match group {
            Group::Named(name) => {
                self.named.insert(name.clone());
            }
            Group::Ungrouped => {}
            Group::Unknown => self.unknown = true,
        }
    }
}

impl<T, H> Dispatcher<T, H>
where
    T: Detail,
    H: EventHandler<T>,
{
    /// Reports a Custom Event Bus batch's failed records as `batchItemFailures` (by
    /// `aws:EventId`) instead of failing the invocation. **Unconfirmed**: AWS's Lambda target
    /// documentation for the Custom Event Bus does not mention a partial batch response; without
    /// it, a subscriber that ignores the response would count the failed records as delivered and
    /// lose them. The invocation still fails when every record failed, or when a failed record
    /// has no `aws:EventId` (a `RAW` record) and so cannot be named. `#[handler(custom_bus_partial_failures)]`
    /// sets it on the generated dispatcher.
    ///
    /// ```
    /// use eventbridge_lambda::{Context, Dispatcher, Event, OrderCreated};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let dispatcher = Dispatcher::new(|event: Event<OrderCreated>, _: Context| async move {
    ///     if event.detail.order_id.starts_with("fail") { Err("refused".to_owned()) } else { Ok(()) }
    /// })
    /// .with_custom_bus_partial_failures();
    /// let batch = std::fs::read("../events/eventbridgev2/with-metadata-fail-batch.json").unwrap();
    /// let response = dispatcher.invoke(&batch, Context::default()).await.unwrap();
    /// let response = serde_json::to_value(&response).unwrap();
    /// assert_eq!(response["batchItemFailures"][0]["itemIdentifier"], "bus-fail-1");
    /// # });
    /// ```
    pub fn with_custom_bus_partial_failures(mut self) -> Self {
        self.custom_bus_partial_failures = true;
        self
    }

    /// Handles the records of a Custom Event Bus delivery, in array order.
    ///
    /// Every handled record's outcome is counted in `tally`; records stopped by their group's
    /// failure are not counted (as FIFO SQS records returned unprocessed are not).
    pub(super) async fn invoke_custom_bus(
        &self,
        records: &[&RawValue],
        ctx: Context,
        tally: &Tally,
    ) -> Result<CustomBusBatchResponse, EventError> {
        if records.is_empty() {
            let error = EventError::CustomBusEmptyBatch;
            error!(error = %error, "empty Custom Event Bus batch; the invocation fails");
            tally.failed(&error, 1);
            return Err(error);
        }
        let mut failed = Vec::new();
        let mut stopped = StoppedGroups::default();
        for (index, raw) in records.iter().enumerate() {
            let record = decode_record::<T>(raw.get());
            let event_group_id = match &record.group {
                Group::Named(name) => Some(name.clone()),
                Group::Ungrouped | Group::Unknown => None,
            };
            let span = info_span!(
                "custom_bus_record",
                index,
                bus_event_id = record.bus_event_id.as_deref().unwrap_or("-"),
                event_group = event_group_id.as_deref().unwrap_or("-"),
            );
            let reason = async {
                if stopped.stops(&record.group) {
                    warn!("not handled: an earlier record of its event group failed; reported failed to keep the group's order");
                    return Some(RecordFailure::GroupStopped);
                }
                let result = match record.event {
                    Ok(event) => {
                        self.process_decoded(event, ctx.clone(), record.data.as_bytes(), tally)
                            .await
                    }
                    Err(error) => Err(EventError::Decode(error)),
                };
                tally.event(&result);
                match result {
                    Ok(_) => None,
                    Err(error) => {
                        error!(
                            error = %ErrorChain(&error),
                            "record failed; the rest of its event group is not handled"
                        );
                        stopped.stop(&record.group);
                        Some(RecordFailure::Failed(error))
                    }
                }
            }
            .instrument(span)
            .await;
            if let Some(reason) = reason {
                failed.push(FailedRecord {
                    index,
                    bus_event_id: record.bus_event_id,
                    event_group_id,
                    reason,
                });
            }
        }
        self.custom_bus_response(records.len(), failed)
    }

    /// The batch's response, or the error that fails the invocation.
    fn custom_bus_response(
        &self,
        records: usize,
        failed: Vec<FailedRecord>,
    ) -> Result<CustomBusBatchResponse, EventError> {
        if failed.is_empty() {
            return Ok(CustomBusBatchResponse::default());
        }
        let nameable = failed.iter().all(|record| record.bus_event_id.is_some());
        if self.custom_bus_partial_failures && nameable && failed.len() < records {
            error!(
                failed = failed.len(),
                records,
                "records failed; reported in batchItemFailures (partial batch response opted in)"
            );
            let batch_item_failures = failed
                .into_iter()
                .filter_map(|record| record.bus_event_id)
                .map(|item_identifier| BatchItemFailure { item_identifier })
                .collect();
            return Ok(CustomBusBatchResponse {
                batch_item_failures,
            });
        }
        let error = EventError::CustomBusBatchFailed {
            records,
            failed: FailedRecords(failed),
        };
        error!(error = %ErrorChain(&error), "the invocation fails so that EventBridge retries the batch");
        Err(error)
    }
}

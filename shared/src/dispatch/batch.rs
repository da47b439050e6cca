//! The SQS delivery mode: every record of a batch decoded, de-duplicated and handled on its own,
//! failures reported as `batchItemFailures`.

use super::{Dispatcher, EventError, EventHandler};
use crate::decode::{Batch, DecodeError, EventId, decode_str};
use crate::metrics::Tally;
use crate::{Context, Detail, ErrorChain};
use aws_lambda_events::event::sqs::SqsBatchResponse;
use tracing::{Instrument, error, info_span, warn};

impl<T, H> Dispatcher<T, H>
where
    T: Detail,
    H: EventHandler<T>,
{
    /// Handles every record of `batch`.
    ///
    /// * A record without `messageId` cannot be reported alone: the whole batch fails before any
    ///   record runs ([`EventError::RecordWithoutId`]).
    /// * In a FIFO queue, the records after a failed one are returned unprocessed, to keep order.
    /// * When every record failed, the invocation fails ([`EventError::BatchFailed`]), so the
    ///   messages are redelivered even through a mapping without `ReportBatchItemFailures`.
    ///
    /// Every record's outcome is counted in `tally` (the records of a failed batch as failed;
    /// FIFO records returned unprocessed are not counted).
    pub(super) async fn invoke_batch(
        &self,
        batch: Batch<'_>,
        ctx: Context,
        tally: &Tally,
    ) -> Result<SqsBatchResponse, EventError> {
        if let Some(index) = batch
            .messages
            .iter()
            .position(|record| record.message_id.is_none())
        {
            error!(
                index,
                "SQS record without messageId; failing the whole batch so it is redelivered"
            );
            let error = EventError::RecordWithoutId { index };
            tally.failed(&error, batch.messages.len());
            return Err(error);
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
                let result = match batch.body(record) {
                    Some(body) => match decode_str::<T>(body) {
                        Ok(event) => self.process_decoded(event, ctx.clone(), body.as_bytes(), tally).await,
                        Err(error) => Err(EventError::Decode(error)),
                    },
                    None => Err(EventError::Decode(DecodeError::Envelope {
                        id: EventId(None),
                        reason: "the SQS message has no body".to_owned(),
                    })),
                };
                tally.event(&result);
                if let Err(error) = result {
                    error!(
                        error = %ErrorChain(&error),
                        "record failed; reported in batchItemFailures so SQS redelivers it (then its dead-letter queue)"
                    );
                    response.add_failure(message_id);
                    fifo_blocked = record.event_source_arn.as_deref().is_some_and(|arn| arn.ends_with(".fifo"));
                }
            }
            .instrument(span)
            .await;
        }
        let records = batch.messages.len();
        if records > 0 && response.batch_item_failures.len() == records {
            let error = EventError::BatchFailed { records };
            error!(error = %error, "every record failed; the invocation fails");
            return Err(error);
        }
        Ok(response)
    }
}

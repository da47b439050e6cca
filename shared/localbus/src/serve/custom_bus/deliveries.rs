//! The Custom Event Bus's background deliveries in serve, with exactly `send`'s rules
//! ([`crate::v2::deliver`]: filters, `Transformer`, `RetryPolicy`, the failure record to the
//! on-failure queue).
//!
//! Each subscriber has one worker and one queue of offered events, in the bus's sequence order
//! (events are offered while the bus's store is locked, so two concurrent PutEvents calls never
//! interleave out of order). The worker delivers one batch at a time: it takes the first waiting
//! event, waits up to `MaxBatchWindowInSeconds` from that event's publication for more, then
//! takes whatever else is waiting (what was published while the previous batch was in flight),
//! up to `MaxBatchSize`. A failed batch is retried and sent to the on-failure queue before the
//! next batch starts, so no event group is ever reordered (and, as in `send`, a FIFO subscriber
//! holds every group while a batch fails: see [`crate::v2::deliver`]).
//!
//! Every offered event is counted in serve's [`Deliveries`] until its batch's report line is
//! printed, so stopping serve waits for these deliveries as for the Classic ones.

use super::super::deliveries::{Deliveries, Output};
use crate::deliver::{Context, Report};
use crate::v2::deliver::{self, BatchReport, Candidate, Target};
use crate::v2::filter::SubscriberFilter;
use crate::v2::payload::DeliveryType;
use crate::v2::store::StoredEvent;
use crate::v2::{BusIdentity, payload};
use sam_template::{Destination, StartingPosition, Subscriber};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// An event waiting for a subscriber's worker.
#[derive(Debug)]
struct Offered {
    candidate: Candidate,
    offered_at: Instant,
}

/// One subscriber of a bus, as serve runs it.
#[derive(Debug)]
pub(crate) struct SubscriberWorker {
    /// The subscriber, from the template.
    pub(crate) subscriber: Arc<Subscriber>,
    /// Its ARN.
    pub(crate) arn: String,
    filter: SubscriberFilter,
    queue: mpsc::UnboundedSender<Offered>,
}

impl SubscriberWorker {
    /// Starts the worker of `subscriber` on `bus`.
    pub(crate) fn start(
        bus: Arc<BusIdentity>,
        subscriber: Arc<Subscriber>,
        arn: String,
        filter: SubscriberFilter,
        context: Arc<Context>,
        deliveries: Deliveries,
    ) -> SubscriberWorker {
        let (queue, waiting) = mpsc::unbounded_channel();
        let worker = Worker {
            bus,
            subscriber: Arc::clone(&subscriber),
            arn: arn.clone(),
            context,
            deliveries,
        };
        tokio::spawn(worker.run(waiting));
        SubscriberWorker {
            subscriber,
            arn,
            filter,
            queue,
        }
    }

    /// Offers a published (`LIVE`) or retained (`REPLAY`) event: queued for delivery when the
    /// subscriber's starting position and filters take it. Whether it was queued.
    pub(crate) fn offer(
        &self,
        event: &StoredEvent,
        delivery: DeliveryType,
        deliveries: &Deliveries,
    ) -> bool {
        if !within_position(&self.subscriber, event, delivery) {
            return false;
        }
        let system_metadata = payload::system_metadata(event, delivery);
        if !self
            .filter
            .matches(&event.data, &json!({}), &system_metadata)
        {
            return false;
        }
        deliveries.begin(1);
        let offered = Offered {
            candidate: Candidate {
                event: event.clone(),
                delivery,
            },
            offered_at: Instant::now(),
        };
        if self.queue.send(offered).is_err() {
            // The worker never stops while serve runs; if it did, the event is not counted as
            // in flight forever.
            deliveries.end(1);
            eprintln!(
                "localbus serve: the worker of subscriber {} stopped; event {} is not delivered",
                self.subscriber.logical_id, event.event_id
            );
            return false;
        }
        true
    }
}

/// Whether `event` is within the subscriber's `StartingPosition`: every live event for
/// `LATEST`; for `POINT_IN_TIME`, the events from `StartingPoint` up to `EndPoint`.
fn within_position(subscriber: &Subscriber, event: &StoredEvent, delivery: DeliveryType) -> bool {
    match subscriber.starting_position {
        StartingPosition::Latest => delivery == DeliveryType::Live,
        StartingPosition::PointInTime { from, until } => {
            from.is_none_or(|from| event.ingested_at_ms >= from.saturating_mul(1000))
                && until.is_none_or(|until| event.ingested_at_ms <= until.saturating_mul(1000))
        }
    }
}

/// What a worker delivers with.
struct Worker {
    bus: Arc<BusIdentity>,
    subscriber: Arc<Subscriber>,
    arn: String,
    context: Arc<Context>,
    deliveries: Deliveries,
}

impl Worker {
    async fn run(self, mut waiting: mpsc::UnboundedReceiver<Offered>) {
        let size = usize::try_from(self.subscriber.max_batch_size())
            .unwrap_or(1)
            .max(1);
        let window = Duration::from_secs(u64::from(self.subscriber.max_batch_window_seconds));
        while let Some(batch) =
            next_batch(&mut waiting, size, window, |offered| offered.offered_at).await
        {
            self.deliver(batch).await;
        }
    }

    /// Delivers one batch (already at most `MaxBatchSize`), prints its line and counts its
    /// events as ended.
    async fn deliver(&self, batch: Vec<Offered>) {
        let count = batch.len();
        let offered_at = batch.iter().map(|o| o.offered_at).min();
        let events: Vec<Candidate> = batch.into_iter().map(|o| o.candidate).collect();
        let process = match &self.subscriber.target {
            Destination::Function(function) => Some(self.deliveries.process(function).await),
            _ => None,
        };
        let reports = match process {
            Some(Err(error)) => vec![BatchReport {
                subscriber: self.subscriber.logical_id.clone(),
                function: self.subscriber.target.logical_id().map(str::to_owned),
                events,
                payload: None,
                report: Report::not_delivered(error),
                exhausted: None,
                failure_record: None,
            }],
            process => {
                let target = Target {
                    bus: &self.bus,
                    subscriber_arn: self.arn.clone(),
                    process: process.and_then(Result::ok),
                };
                deliver::deliver(&self.context, &self.subscriber, &target, events).await
            }
        };
        let since_offer = offered_at.map(|at| at.elapsed()).unwrap_or_default();
        for report in &reports {
            line(self.deliveries.output(), &self.bus, report, since_offer);
        }
        self.deliveries.end(count);
    }
}

/// The next batch of `waiting` (`None` once it is closed and empty): the first item, then the
/// items already waiting (queued while the previous batch was in flight), then, when `window`
/// is not zero, those arriving until `window` after the first item's `arrived` time; at most
/// `size` items, in queue order. What is left stays queued for the next batch.
async fn next_batch<T>(
    waiting: &mut mpsc::UnboundedReceiver<T>,
    size: usize,
    window: Duration,
    arrived: impl Fn(&T) -> Instant,
) -> Option<Vec<T>> {
    let first = waiting.recv().await?;
    let closes = tokio::time::Instant::from_std(arrived(&first) + window);
    let mut batch = vec![first];
    while batch.len() < size.max(1) {
        match waiting.try_recv() {
            Ok(next) => batch.push(next),
            Err(_) if window.is_zero() => break,
            Err(_) => tokio::select! {
                next = waiting.recv() => match next {
                    Some(next) => batch.push(next),
                    None => break,
                },
                () = tokio::time::sleep_until(closes) => break,
            },
        }
    }
    Some(batch)
}

fn millis(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1e4).round() / 10.0
}

/// A batch's line on stdout.
fn line(output: Output, bus: &BusIdentity, batch: &BatchReport, since_offer: Duration) {
    let report = &batch.report;
    let events =
        |field: fn(&Candidate) -> Value| -> Vec<Value> { batch.events.iter().map(field).collect() };
    match output {
        Output::Json => crate::output::line(json!({
            "EventIds": events(|c| json!(c.event.event_id)),
            "SequenceNumbers": events(|c| json!(c.event.sequence_number)),
            "EventGroupIds": events(|c| json!(c.event.event_group_id())),
            "DeliveryTypes": events(|c| json!(c.delivery.as_str())),
            "Bus": bus.name,
            "Subscriber": batch.subscriber,
            "Function": batch.function,
            "Outcome": report.outcome.as_str(),
            "Attempts": report.attempts,
            "ExhaustedRetryCondition": batch.exhausted,
            "SentTo": report.sent_to.as_ref().map(|(queue, id)| json!({"Queue": queue, "MessageId": id})),
            "FailureRecord": batch.failure_record,
            "Error": report.error,
            "Payload": batch.payload,
            "DurationMs": millis(report.duration),
            "PutToDoneMs": millis(since_offer),
            "Response": report.response,
            "Logs": report.logs,
        })),
        Output::Table => {
            let ids: Vec<String> = batch
                .events
                .iter()
                .map(|c| {
                    format!(
                        "{} (seq {}, group {}, {})",
                        c.event.event_id,
                        c.event.sequence_number,
                        c.event.event_group_id().unwrap_or("-"),
                        c.delivery.as_str()
                    )
                })
                .collect();
            crate::output::line(format_args!(
                "batch of {} on {}: {} -> {}: {}{}{} after {} attempt{} ({} ms after the put)",
                batch.events.len(),
                bus.name,
                batch.subscriber,
                batch.function.as_deref().unwrap_or("-"),
                report.outcome.as_str(),
                batch
                    .exhausted
                    .map(|c| format!(", retries exhausted ({c})"))
                    .unwrap_or_default(),
                report
                    .sent_to
                    .as_ref()
                    .map(|(queue, _)| format!(", failure record sent to {queue}"))
                    .unwrap_or_default(),
                report.attempts,
                if report.attempts == 1 { "" } else { "s" },
                millis(since_offer)
            ));
            crate::output::line(format_args!("    events: {}", ids.join(", ")));
            if let Some(error) = &report.error {
                crate::output::line(format_args!("    ! {error}"));
            }
            if report.outcome != crate::deliver::Outcome::Succeeded {
                for log in &report.logs {
                    crate::output::line(format_args!("    | {log}"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The numbers of the next batch of size 3 without a window.
    async fn next(waiting: &mut mpsc::UnboundedReceiver<(i32, Instant)>) -> Vec<i32> {
        next_batch(waiting, 3, Duration::ZERO, |(_, at)| *at)
            .await
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect()
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
    }

    #[test]
    fn a_batch_takes_what_waits_up_to_the_size_in_order_and_leaves_the_rest() {
        runtime().block_on(async {
            let (queue, mut waiting) = mpsc::unbounded_channel();
            for n in 1..=7 {
                queue.send((n, Instant::now())).unwrap();
            }
            assert_eq!(next(&mut waiting).await, [1, 2, 3]);
            assert_eq!(next(&mut waiting).await, [4, 5, 6]);
            // Without a window, a batch does not wait for more.
            assert_eq!(next(&mut waiting).await, [7]);
            queue.send((8, Instant::now())).unwrap();
            drop(queue);
            assert_eq!(next(&mut waiting).await, [8]);
            assert!(
                next_batch(
                    &mut waiting,
                    3,
                    Duration::ZERO,
                    |(_, at): &(i32, Instant)| *at
                )
                .await
                .is_none()
            );
        });
    }

    #[test]
    fn a_batch_window_gathers_what_arrives_until_it_closes() {
        runtime().block_on(async {
            let (queue, mut waiting) = mpsc::unbounded_channel();
            let window = Duration::from_secs(1);
            queue.send((1, Instant::now())).unwrap();
            let late = queue.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(100)).await;
                late.send((2, Instant::now())).unwrap();
                // After the window closed: the next batch's.
                tokio::time::sleep(Duration::from_millis(1400)).await;
                late.send((3, Instant::now())).unwrap();
            });
            let started = Instant::now();
            let batch = next_batch(&mut waiting, 10, window, |(_, at)| *at)
                .await
                .unwrap();
            assert_eq!(batch.iter().map(|(n, _)| *n).collect::<Vec<_>>(), [1, 2]);
            assert!(started.elapsed() >= Duration::from_millis(900));
            let batch = next_batch(&mut waiting, 10, window, |(_, at)| *at)
                .await
                .unwrap();
            assert_eq!(batch.iter().map(|(n, _)| *n).collect::<Vec<_>>(), [3]);
            // A full batch does not wait for the window.
            for n in 4..=5 {
                queue.send((n, Instant::now())).unwrap();
            }
            let started = Instant::now();
            let batch = next_batch(&mut waiting, 2, Duration::from_secs(60), |(_, at)| *at)
                .await
                .unwrap();
            assert_eq!(batch.len(), 2);
            assert!(started.elapsed() < Duration::from_secs(5));
        });
    }
}

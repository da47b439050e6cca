//! Delivering a subscriber's events to its Lambda target, as the Custom Event Bus does:
//!
//! * **Batches** of up to `MaxBatchSize` events, in publish order (the batch window never
//!   matters locally: every event of a run is there before delivery starts).
//! * **Order.** One batch at a time per subscriber: a failed batch is retried, and sent to the
//!   on-failure queue or dropped, before any later event is delivered. For a FIFO subscriber
//!   docs.aws.amazon.com says a failed call holds up the later events of *every* event group
//!   (a docs.amazonaws.cn copy says only its own group); holding all of them keeps both
//!   promises, so that is what localbus does.
//! * **Invocation.** `REQUEST_RESPONSE` (and, since AWS documents no default, an unset
//!   `InvocationType`, so a function error is never mistaken for a delivery): a function error
//!   fails the batch. A successful response that names records in `batchItemFailures` also
//!   fails the whole batch: AWS's Lambda target page does not confirm partial batch responses,
//!   and retrying the batch (the successes are skipped by the functions' de-duplication) cannot
//!   lose an event. `EVENT`: the Invoke succeeds and Lambda's own asynchronous retries and
//!   on-failure destination take over (as `send` runs them for Classic targets).
//! * **RetryPolicy.** Up to `MaxRetryAttempts` retries while the event is younger than
//!   `MaxEventAgeInSeconds`. AWS's backoff is not documented; localbus retries at once and
//!   counts the time a retry would have waited as 1, 2, 4, 8 … seconds, so the age limit
//!   applies as if those waits had passed (the age of a replayed event counts from its
//!   delivery, not its publication).
//! * **On failure.** The record of the retry page (`version`, `busArn`, `subscriberArn`,
//!   `targetArn`, `errorCode`, `errorMessage`, `exhaustedRetryCondition`, `retryAttempts`,
//!   `failedMessages[]`, no payload) goes to `OnFailureConfiguration.Arn`. `errorCode` for a
//!   function error is not documented; localbus writes `FUNCTION_ERROR` and the function's
//!   `errorType: errorMessage`. Without a queue the events are dropped, and the report says so.

use super::payload::{self, DeliveryType};
use super::store::StoredEvent;
use super::{BusIdentity, filter::SubscriberFilter};
use crate::deliver::{Context, Outcome, Report};
use crate::emulator::{FunctionProcess, Invocation};
use sam_template::{Destination, InvocationType, Subscriber, SubscriberState};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Instant;

/// An event the subscriber may receive, and how.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    /// The event.
    pub(crate) event: StoredEvent,
    /// `LIVE` or `REPLAY`.
    pub(crate) delivery: DeliveryType,
}

/// One batch (or, when nothing could be delivered, the reason) of one subscriber.
#[derive(Debug, Clone)]
pub(crate) struct BatchReport {
    /// The subscriber's logical id.
    pub(crate) subscriber: String,
    /// The target function's logical id.
    pub(crate) function: Option<String>,
    /// The events of the batch, in order.
    pub(crate) events: Vec<Candidate>,
    /// What the function received.
    pub(crate) payload: Option<Value>,
    /// Attempts, outcome, response, logs; `sent_to` is the on-failure queue.
    pub(crate) report: Report,
    /// `MaximumRetryAttempts` or `MaximumEventAgeInSeconds`, when retries ran out.
    pub(crate) exhausted: Option<&'static str>,
    /// The failure record sent to the on-failure queue.
    pub(crate) failure_record: Option<Value>,
}

/// What delivery needs of the subscriber's surroundings.
pub(crate) struct Target<'a> {
    /// The bus.
    pub(crate) bus: &'a BusIdentity,
    /// The subscriber's ARN.
    pub(crate) subscriber_arn: String,
    /// The running target function.
    pub(crate) process: Option<Arc<FunctionProcess>>,
}

/// The events among `candidates` that pass the subscriber's filters, in order.
pub(crate) fn matching(filter: &SubscriberFilter, candidates: &[Candidate]) -> Vec<Candidate> {
    candidates
        .iter()
        .filter(|c| {
            filter.matches(
                &c.event.data,
                &json!({}),
                &payload::system_metadata(&c.event, c.delivery),
            )
        })
        .cloned()
        .collect()
}

/// Delivers `events` (already filtered) to `subscriber`'s target, batch after batch.
pub(crate) async fn deliver(
    context: &Context,
    subscriber: &Subscriber,
    target: &Target<'_>,
    events: Vec<Candidate>,
) -> Vec<BatchReport> {
    let function = match &subscriber.target {
        Destination::Function(function) => Some(function.clone()),
        _ => None,
    };
    let not_delivered = |events: Vec<Candidate>, reason: String| BatchReport {
        subscriber: subscriber.logical_id.clone(),
        function: function.clone(),
        events,
        payload: None,
        report: Report::not_delivered(reason),
        exhausted: None,
        failure_record: None,
    };
    if events.is_empty() {
        return Vec::new();
    }
    if subscriber.state == SubscriberState::Stopped {
        return vec![not_delivered(
            events,
            "the subscriber is STOPPED: its events wait on the bus".into(),
        )];
    }
    let (Some(_), Some(process)) = (&function, &target.process) else {
        return vec![not_delivered(
            events,
            format!(
                "target {:?} is not a function of the template; localbus delivers Custom Event Bus events to functions only",
                subscriber.target
            ),
        )];
    };
    let size = usize::try_from(subscriber.max_batch_size())
        .unwrap_or(1)
        .max(1);
    let mut reports = Vec::new();
    for chunk in events.chunks(size) {
        let records: Result<Vec<Value>, _> = chunk
            .iter()
            .map(|c| payload::record(subscriber, &c.event, c.delivery))
            .collect();
        let records = match records {
            Ok(records) => records,
            Err(error) => {
                reports.push(not_delivered(chunk.to_vec(), error.to_string()));
                continue;
            }
        };
        let payload = payload::batch(subscriber, records);
        let mut batch = BatchReport {
            subscriber: subscriber.logical_id.clone(),
            function: function.clone(),
            events: chunk.to_vec(),
            payload: Some(payload.clone()),
            report: Report::not_delivered("not invoked"),
            exhausted: None,
            failure_record: None,
        };
        batch.report.error = None;
        if subscriber.invocation_type == Some(InvocationType::Event) {
            batch.report = crate::deliver::invoke_async(context, process, &payload).await;
        } else {
            invoke_with_retries(context, subscriber, target, process, &payload, &mut batch).await;
        }
        reports.push(batch);
    }
    reports
}

/// Synchronous invocations under the subscriber's `RetryPolicy`, then the failure record.
async fn invoke_with_retries(
    context: &Context,
    subscriber: &Subscriber,
    target: &Target<'_>,
    process: &Arc<FunctionProcess>,
    payload: &Value,
    batch: &mut BatchReport,
) {
    let bytes = payload.to_string().into_bytes();
    let (allowed_retries, condition) = retry_budget(
        subscriber.max_retry_attempts,
        subscriber.max_event_age_seconds,
    );
    let mut last_request_id = None;
    let mut retries: u32 = 0;
    loop {
        let invocation = match invoke(process, bytes.clone()).await {
            Ok(invocation) => invocation,
            Err(error) => {
                batch.report.error = Some(error);
                return;
            }
        };
        record(&mut batch.report, &invocation, context.started);
        last_request_id = request_id(&invocation).or(last_request_id);
        if !failed(&invocation) {
            batch.report.outcome = Outcome::Succeeded;
            return;
        }
        batch.report.outcome = Outcome::Failed;
        if retries >= allowed_retries {
            batch.exhausted = Some(condition);
            break;
        }
        retries += 1;
    }
    let error = error_text(batch.report.response.as_ref());
    let failure = json!({
        "version": "1.0",
        "busArn": target.bus.arn,
        "subscriberArn": target.subscriber_arn,
        "targetArn": context.stack.arn(process.logical_id()).unwrap_or_default(),
        "errorCode": "FUNCTION_ERROR",
        "errorMessage": error,
        "exhaustedRetryCondition": batch.exhausted,
        "retryAttempts": retries,
        "failedMessages": batch.events.iter().map(|c| json!({
            "eventId": c.event.event_id,
            "eventGroupId": c.event.event_group_id(),
            "deduplicationId": c.event.deduplication_id(),
            "timestamp": chrono::DateTime::from_timestamp_millis(c.event.ingested_at_ms)
                .unwrap_or_default()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "targetRequestId": last_request_id,
        })).collect::<Vec<_>>(),
    });
    match &subscriber.on_failure {
        Some(Destination::Queue(queue)) => {
            let group = batch
                .events
                .first()
                .and_then(|c| c.event.event_group_id())
                .map(str::to_owned);
            match crate::deliver::send_message(
                context,
                queue,
                &failure.to_string(),
                group.as_deref(),
            )
            .await
            {
                Ok(message_id) => batch.report.sent_to = Some((queue.clone(), message_id)),
                Err(error) => {
                    batch.report.error = Some(format!(
                        "failure record not sent to {queue}: {error}; the events are lost"
                    ));
                }
            }
        }
        Some(other) => {
            batch.report.error = Some(format!(
                "on-failure destination {other:?} is not an SQS queue of the template; the failure record was dropped"
            ));
        }
        None => {
            batch.report.error = Some(format!(
                "DROPPED: {} has no OnFailureConfiguration, so its {} event(s) are dropped after the retries (AWS counts them only in the EventsDropped metric)",
                subscriber.logical_id,
                batch.events.len()
            ));
        }
    }
    batch.failure_record = Some(failure);
}

/// How many retries a failing batch gets, and the `exhaustedRetryCondition` when they run
/// out: `MaxRetryAttempts`, unless the waits before them (counted as 1, 2, 4, … seconds, see the
/// module docs) take the event past `MaxEventAgeInSeconds` first.
fn retry_budget(max_retry_attempts: u32, max_event_age_seconds: u32) -> (u32, &'static str) {
    let mut age: u64 = 0;
    for retry in 0..max_retry_attempts {
        age = age.saturating_add(1u64 << retry.min(40));
        if age > u64::from(max_event_age_seconds) {
            return (retry, "MaximumEventAgeInSeconds");
        }
    }
    (max_retry_attempts, "MaximumRetryAttempts")
}

/// Whether a response fails the batch: a function error, or `batchItemFailures` naming a
/// record (see the module docs).
fn failed(invocation: &Invocation) -> bool {
    invocation.failed
        || invocation
            .body_json()
            .get("batchItemFailures")
            .and_then(Value::as_array)
            .is_some_and(|items| !items.is_empty())
}

/// `errorType: errorMessage` of Lambda's error object, or the response as text.
fn error_text(response: Option<&Value>) -> String {
    match response {
        Some(body) => match (body.get("errorType"), body.get("errorMessage")) {
            (Some(Value::String(kind)), Some(Value::String(message))) => {
                format!("{kind}: {message}")
            }
            _ => body.to_string(),
        },
        None => "no response".into(),
    }
}

/// The Lambda request id of an invocation, from the emulator's `START RequestId: …` line.
fn request_id(invocation: &Invocation) -> Option<String> {
    invocation.logs.iter().find_map(|line| {
        let rest = line.split("START RequestId: ").nth(1)?;
        rest.split_whitespace().next().map(str::to_owned)
    })
}

fn record(report: &mut Report, invocation: &Invocation, started: Instant) {
    report.attempts += 1;
    report.duration += invocation.duration;
    report.finished = started.elapsed();
    report.response = Some(invocation.body_json());
    report.logs.extend(invocation.logs.iter().cloned());
}

async fn invoke(process: &Arc<FunctionProcess>, payload: Vec<u8>) -> Result<Invocation, String> {
    let process = Arc::clone(process);
    tokio::task::spawn_blocking(move || process.invoke(&payload))
        .await
        .map_err(|error| format!("invocation task failed: {error}"))?
        .map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_stop_at_the_attempts_or_the_event_age_whichever_comes_first() {
        assert_eq!(retry_budget(5, 300), (5, "MaximumRetryAttempts"));
        assert_eq!(retry_budget(0, 60), (0, "MaximumRetryAttempts"));
        // Waits of 1+2+4+…+128 = 255 s fit in 300 s, the ninth (256 s more) does not.
        assert_eq!(retry_budget(185, 300), (8, "MaximumEventAgeInSeconds"));
        // 1+2+4+8+16 = 31 s fit in 60 s, 32 s more do not.
        assert_eq!(retry_budget(185, 60), (5, "MaximumEventAgeInSeconds"));
        assert_eq!(retry_budget(185, 86_400).1, "MaximumEventAgeInSeconds");
    }

    #[test]
    fn request_ids_come_from_the_emulators_start_line() {
        let invocation = Invocation {
            body: "{}".into(),
            failed: false,
            duration: std::time::Duration::ZERO,
            logs: vec![
                "START RequestId: 3f1c-42 Version: $LATEST".into(),
                "END RequestId: 3f1c-42".into(),
            ],
        };
        assert_eq!(request_id(&invocation).as_deref(), Some("3f1c-42"));
    }

    #[test]
    fn batch_item_failures_fail_the_batch() {
        let invocation = |body: &str, failed| Invocation {
            body: body.into(),
            failed,
            duration: std::time::Duration::ZERO,
            logs: Vec::new(),
        };
        assert!(!failed(&invocation(r#"{"batchItemFailures": []}"#, false)));
        assert!(failed(&invocation(
            r#"{"batchItemFailures": [{"itemIdentifier": "x"}]}"#,
            false
        )));
        assert!(failed(&invocation(r#"{"errorType": "E"}"#, true)));
        assert!(!failed(&invocation("12", false)));
    }
}

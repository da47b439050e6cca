//! The publish loop shared by every publisher (Classic PutEvents and PutPartnerEvents, Custom
//! Event Bus PutEvents): batch, send, keep what succeeded, re-send what may succeed, report all.
//! What differs between the APIs (the request, its entry limit, what an accepted entry carries)
//! sits behind [`Transport`].

use super::{
    DEADLINE_REACHED, Delivery, FailureClass, MISSING_RESULT, NO_ANSWER, NOT_SENT, PublishError,
    Report, RequestErrorKind, is_retryable_entry_code,
};
use crate::retry::{Deadline, RetryPolicy};
use std::future::Future;
use std::time::Duration;

/// One entry's answer within a request.
pub(super) enum EntryAnswer<A> {
    /// Accepted, with the event id and what else the API says about an accepted entry.
    Accepted(String, A),
    /// Rejected with a per-entry error code.
    Rejected { code: String, message: String },
}

/// A failed request: no per-entry answers.
pub(super) struct RequestFailure {
    pub(super) kind: RequestErrorKind,
    pub(super) code: String,
    pub(super) message: String,
}

/// Awaits `request`, giving up after `remaining`: an unanswered request is a transient
/// [`NO_ANSWER`] failure, its entries' outcome unknown.
pub(super) async fn within_remaining<A>(
    remaining: Duration,
    request: impl Future<Output = Result<Vec<EntryAnswer<A>>, RequestFailure>>,
) -> Result<Vec<EntryAnswer<A>>, RequestFailure> {
    match tokio::time::timeout(remaining, request).await {
        Ok(answer) => answer,
        Err(_) => Err(RequestFailure {
            kind: RequestErrorKind::Transient,
            code: NO_ANSWER.to_owned(),
            message: format!(
                "no answer within the remaining {} ms before the deadline",
                remaining.as_millis()
            ),
        }),
    }
}

/// One API's requests.
pub(super) trait Transport {
    /// What an accepted entry carries besides its event id (`()` for the Classic APIs).
    type Accepted: Clone;
    /// Entries per request.
    fn max_entries(&self) -> usize;
    /// Sends the entries at `batch` (input positions), giving up after `remaining`.
    fn send(
        &self,
        batch: &[usize],
        remaining: Duration,
    ) -> impl Future<Output = Result<Vec<EntryAnswer<Self::Accepted>>, RequestFailure>>;
}

/// The limits and policy of one publish call.
pub(super) struct Limits<'a> {
    /// Each entry's size (AWS's formula), in input order.
    pub(super) sizes: &'a [usize],
    /// The request size limit.
    pub(super) max_request_bytes: usize,
    /// The retry policy.
    pub(super) retry: &'a RetryPolicy,
    /// The caller's deadline, when earlier than the policy's.
    pub(super) deadline: Option<Deadline>,
}

/// The last retryable failure of a pending entry.
#[derive(Clone)]
struct LastError {
    code: String,
    message: String,
}

/// Publishes every entry through `transport`, re-sending retryable failures within the retry
/// policy and the deadline. Returns the report and, for each accepted entry, what its answer
/// carried.
///
/// # Errors
/// [`PublishError::EntryTooLarge`] before anything is sent.
pub(super) async fn run<T: Transport>(
    transport: &T,
    limits: Limits<'_>,
) -> Result<(Report, Vec<Option<T::Accepted>>), PublishError> {
    let Limits {
        sizes,
        max_request_bytes,
        retry,
        deadline,
    } = limits;
    if let Some((index, &size)) = sizes
        .iter()
        .enumerate()
        .find(|(_, size)| **size > max_request_bytes)
    {
        return Err(PublishError::EntryTooLarge {
            index,
            size,
            limit: max_request_bytes,
        });
    }
    let count = sizes.len();
    let mut attempts = retry.start(deadline);
    let deadline = attempts.deadline();
    let mut outcomes: Vec<Option<Delivery>> = vec![None; count];
    let mut accepted: Vec<Option<T::Accepted>> = vec![None; count];
    let mut last_error: Vec<Option<LastError>> = vec![None; count];
    let mut sends = vec![0u32; count];
    let mut pending: Vec<usize> = (0..count).collect();
    let mut calls = 0;
    while !pending.is_empty() {
        attempts.begin();
        let mut retry = Vec::new();
        for batch in batches(sizes, &pending, transport.max_entries(), max_request_bytes) {
            let remaining = deadline.remaining();
            if remaining.is_zero() {
                for index in batch {
                    outcomes[index] = Some(give_up(
                        last_error[index].as_ref(),
                        sends[index],
                        "the deadline is reached",
                    ));
                }
                continue;
            }
            calls += 1;
            for &index in &batch {
                sends[index] += 1;
            }
            let answers = match transport.send(&batch, remaining).await {
                Ok(answers) => answers,
                Err(failure) if failure.kind == RequestErrorKind::Permanent => {
                    for index in batch {
                        outcomes[index] = Some(Delivery::Failed {
                            class: FailureClass::of(&failure.code),
                            code: failure.code.clone(),
                            message: failure.message.clone(),
                            attempts: sends[index],
                        });
                    }
                    continue;
                }
                Err(failure) => {
                    for index in batch {
                        last_error[index] = Some(LastError {
                            code: failure.code.clone(),
                            message: failure.message.clone(),
                        });
                        retry.push(index);
                    }
                    continue;
                }
            };
            for (position, index) in batch.iter().copied().enumerate() {
                match answers.get(position) {
                    Some(EntryAnswer::Accepted(event_id, extra)) => {
                        outcomes[index] = Some(Delivery::Delivered {
                            event_id: event_id.clone(),
                            attempts: sends[index],
                        });
                        accepted[index] = Some(extra.clone());
                    }
                    Some(EntryAnswer::Rejected { code, message })
                        if is_retryable_entry_code(code) =>
                    {
                        last_error[index] = Some(LastError {
                            code: code.clone(),
                            message: message.clone(),
                        });
                        retry.push(index);
                    }
                    Some(EntryAnswer::Rejected { code, message }) => {
                        outcomes[index] = Some(Delivery::Failed {
                            class: FailureClass::of(code),
                            code: code.clone(),
                            message: message.clone(),
                            attempts: sends[index],
                        });
                    }
                    None => {
                        outcomes[index] = Some(Delivery::Failed {
                            class: FailureClass::UnknownOutcome,
                            code: MISSING_RESULT.into(),
                            message: "the response has no result for this entry; it may or may not have been delivered".into(),
                            attempts: sends[index],
                        });
                    }
                }
            }
        }
        retry.sort_unstable();
        pending = retry;
        if pending.is_empty() {
            break;
        }
        match attempts.next_wait() {
            Ok(wait) => {
                tracing::warn!(
                    entries = pending.len(),
                    attempt = attempts.made(),
                    wait_ms = wait.as_millis() as u64,
                    "re-sending retryable entries"
                );
                tokio::time::sleep(wait).await;
            }
            Err(stop) => {
                let reason = stop.to_string();
                for &index in &pending {
                    outcomes[index] =
                        Some(give_up(last_error[index].as_ref(), sends[index], &reason));
                }
                break;
            }
        }
    }
    let deliveries = outcomes
        .into_iter()
        .map(|outcome| {
            outcome.unwrap_or_else(|| Delivery::Failed {
                class: FailureClass::UnknownOutcome,
                code: NOT_SENT.into(),
                message: "the entry was not sent".into(),
                attempts: 0,
            })
        })
        .collect();
    Ok((Report { deliveries, calls }, accepted))
}

/// Splits `pending` (input positions, in order) into requests within the entry-count and
/// total-size limits.
fn batches(
    sizes: &[usize],
    pending: &[usize],
    max_entries: usize,
    max_request_bytes: usize,
) -> Vec<Vec<usize>> {
    let mut batches = Vec::new();
    let mut current = Vec::new();
    let mut bytes = 0;
    for &index in pending {
        let size = sizes[index];
        if !current.is_empty() && (current.len() == max_entries || bytes + size > max_request_bytes)
        {
            batches.push(std::mem::take(&mut current));
            bytes = 0;
        }
        current.push(index);
        bytes += size;
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

/// The outcome of an entry the publisher stops trying: its last failure, or
/// [`DEADLINE_REACHED`] when it was never sent.
fn give_up(last: Option<&LastError>, sends: u32, reason: &str) -> Delivery {
    match last {
        Some(last) => Delivery::Failed {
            class: FailureClass::of(&last.code),
            code: last.code.clone(),
            message: format!(
                "{} (gave up after {sends} attempts: {reason})",
                last.message
            ),
            attempts: sends,
        },
        None => Delivery::Failed {
            class: FailureClass::UnknownOutcome,
            code: DEADLINE_REACHED.into(),
            message: format!("not sent: {reason}"),
            attempts: sends,
        },
    }
}

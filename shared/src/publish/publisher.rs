//! The publish loop: batch, send, keep what succeeded, re-send what may succeed, report all.

use super::request::{self, Api, EntryAnswer};
use super::{
    DEADLINE_REACHED, DEFAULT_MAX_REQUEST_BYTES, Delivery, Entry, FailureClass, MISSING_RESULT,
    NOT_SENT, PUT_EVENTS_MAX_ENTRIES, PUT_PARTNER_EVENTS_MAX_ENTRIES, PublishError, Report,
    RequestErrorKind, is_retryable_entry_code,
};
use crate::retry::{Deadline, RetryPolicy};
use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::error::ProvideErrorMetadata;

/// Publishes entries to one bus (PutEvents) or to partner event sources (PutPartnerEvents).
///
/// ```no_run
/// use eventbridge_lambda::publish::{Entry, Publisher};
/// # async fn demo(order: eventbridge_lambda::OrderCreated) -> Result<(), Box<dyn std::error::Error>> {
/// let config = eventbridge_lambda::aws::sdk_config().await;
/// let publisher = Publisher::put_events(aws_sdk_eventbridge::Client::new(&config), "orders").await?;
/// let report = publisher.publish(&[Entry::new(&order)?]).await?;
/// assert!(report.all_delivered(), "{report:?}");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Publisher {
    client: Client,
    api: Api,
    max_request_bytes: usize,
    retry: RetryPolicy,
}

/// The last retryable failure of a pending entry.
#[derive(Clone)]
struct LastError {
    code: String,
    message: String,
}

impl Publisher {
    /// A PutEvents publisher for `bus` (a name or ARN; `default` for the default bus), after
    /// checking with DescribeEventBus that the bus exists.
    ///
    /// # Errors
    /// [`PublishError::BusNotFound`] or [`PublishError::BusCheck`].
    pub async fn put_events(client: Client, bus: impl Into<String>) -> Result<Self, PublishError> {
        let bus = bus.into();
        match client.describe_event_bus().name(&bus).send().await {
            Ok(_) => {}
            Err(error) if error.code() == Some("ResourceNotFoundException") => {
                return Err(PublishError::BusNotFound(bus));
            }
            Err(error) => {
                return Err(PublishError::BusCheck {
                    bus,
                    source: Box::new(error),
                });
            }
        }
        Ok(Self::new(client, Api::PutEvents { bus }))
    }

    /// A PutPartnerEvents publisher (each entry's source is its partner event source name).
    pub fn put_partner_events(client: Client) -> Self {
        Self::new(client, Api::PutPartnerEvents)
    }

    fn new(client: Client, api: Api) -> Self {
        Self {
            client: request::single_attempt(&client),
            api,
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
            retry: RetryPolicy::default(),
        }
    }

    /// Sets the request size limit (AWS's formula; 256 KiB by default, up to 1 MiB where allowed).
    pub fn with_max_request_bytes(mut self, limit: usize) -> Self {
        self.max_request_bytes = limit;
        self
    }

    /// Sets the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    fn max_entries(&self) -> usize {
        match self.api {
            Api::PutEvents { .. } => PUT_EVENTS_MAX_ENTRIES,
            Api::PutPartnerEvents => PUT_PARTNER_EVENTS_MAX_ENTRIES,
        }
    }

    /// Publishes `entries`, re-sending retryable failures within the retry policy's deadline, and
    /// reports every entry's outcome. Inside a Lambda function, use
    /// [`publish_before`](Self::publish_before) with the invocation's deadline.
    ///
    /// # Errors
    /// [`PublishError::EntryTooLarge`] before anything is sent; every other failure is reported
    /// per entry in the [`Report`].
    pub async fn publish(&self, entries: &[Entry]) -> Result<Report, PublishError> {
        self.run(entries, None).await
    }

    /// Publishes `entries` as [`publish`](Self::publish) does, ending by `deadline` when it is
    /// earlier than the policy's: no wait outlasts it and every request is bounded by the time
    /// left (an unanswered request's entries fail with [`NO_ANSWER`](super::NO_ANSWER), an
    /// [`UnknownOutcome`](FailureClass::UnknownOutcome)).
    ///
    /// ```no_run
    /// use eventbridge_lambda::publish::{Entry, Publisher};
    /// use eventbridge_lambda::retry::Deadline;
    /// # async fn demo(publisher: Publisher, entry: Entry, ctx: eventbridge_lambda::Context) -> Result<(), Box<dyn std::error::Error>> {
    /// let report = publisher.publish_before(&[entry], Deadline::of_invocation(ctx.deadline())).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`PublishError::EntryTooLarge`] before anything is sent.
    pub async fn publish_before(
        &self,
        entries: &[Entry],
        deadline: Deadline,
    ) -> Result<Report, PublishError> {
        self.run(entries, Some(deadline)).await
    }

    async fn run(
        &self,
        entries: &[Entry],
        deadline: Option<Deadline>,
    ) -> Result<Report, PublishError> {
        if let Some((index, size)) = entries
            .iter()
            .map(Entry::size)
            .enumerate()
            .find(|(_, size)| *size > self.max_request_bytes)
        {
            return Err(PublishError::EntryTooLarge {
                index,
                size,
                limit: self.max_request_bytes,
            });
        }
        let mut attempts = self.retry.start(deadline);
        let deadline = attempts.deadline();
        let mut outcomes: Vec<Option<Delivery>> = vec![None; entries.len()];
        let mut last_error: Vec<Option<LastError>> = vec![None; entries.len()];
        let mut sends = vec![0u32; entries.len()];
        let mut pending: Vec<usize> = (0..entries.len()).collect();
        let mut calls = 0;
        while !pending.is_empty() {
            attempts.begin();
            let mut retry = Vec::new();
            for batch in self.batches(entries, &pending) {
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
                let answers = match request::send(
                    &self.client,
                    &self.api,
                    entries,
                    &batch,
                    remaining,
                )
                .await
                {
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
                        Some(EntryAnswer::Accepted(event_id)) => {
                            outcomes[index] = Some(Delivery::Delivered {
                                event_id: event_id.clone(),
                                attempts: sends[index],
                            });
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
        Ok(Report { deliveries, calls })
    }

    /// Splits `pending` (input positions, in order) into requests within the entry-count and
    /// total-size limits.
    fn batches(&self, entries: &[Entry], pending: &[usize]) -> Vec<Vec<usize>> {
        let mut batches = Vec::new();
        let mut current = Vec::new();
        let mut bytes = 0;
        for &index in pending {
            let size = entries[index].size();
            if !current.is_empty()
                && (current.len() == self.max_entries() || bytes + size > self.max_request_bytes)
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

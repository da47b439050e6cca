//! The publish loop: batch, send, keep what succeeded, re-send what may succeed, report all.

use super::{
    DEFAULT_MAX_REQUEST_BYTES, Entry, PUT_EVENTS_MAX_ENTRIES, PUT_PARTNER_EVENTS_MAX_ENTRIES,
    PublishError, RequestErrorKind, RetryPolicy, is_retryable_entry_code,
};
use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_eventbridge::primitives::DateTime as AwsDateTime;
use aws_sdk_eventbridge::types::{PutEventsRequestEntry, PutPartnerEventsRequestEntry};
use std::time::Instant;

/// What became of one input entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Accepted by EventBridge.
    Delivered {
        /// The id EventBridge gave the event (the envelope `id` consumers see).
        event_id: String,
        /// Sends it took.
        attempts: u32,
    },
    /// Not delivered.
    Failed {
        /// The per-entry `ErrorCode`, or the request's error code.
        code: String,
        /// The error message.
        message: String,
        /// Sends it took.
        attempts: u32,
    },
}

/// The outcome of a publish call, one [`Delivery`] per input entry, in input order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// One outcome per input entry, in input order.
    pub deliveries: Vec<Delivery>,
    /// API calls made.
    pub calls: usize,
}

impl Report {
    /// True when every entry was delivered.
    pub fn all_delivered(&self) -> bool {
        self.deliveries
            .iter()
            .all(|delivery| matches!(delivery, Delivery::Delivered { .. }))
    }

    /// The failed entries with their input positions.
    pub fn failures(&self) -> impl Iterator<Item = (usize, &Delivery)> {
        self.deliveries
            .iter()
            .enumerate()
            .filter(|(_, delivery)| matches!(delivery, Delivery::Failed { .. }))
    }
}

/// Which API the publisher calls.
#[derive(Clone, Debug)]
enum Api {
    PutEvents { bus: String },
    PutPartnerEvents,
}

/// One entry's answer within a request.
enum EntryAnswer {
    Accepted(String),
    Rejected { code: String, message: String },
}

/// A failed request.
struct RequestFailure {
    kind: RequestErrorKind,
    code: String,
    message: String,
}

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
                    message: DisplayErrorContext(&error).to_string(),
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
            client,
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

    fn max_entries(&self) -> usize {
        match self.api {
            Api::PutEvents { .. } => PUT_EVENTS_MAX_ENTRIES,
            Api::PutPartnerEvents => PUT_PARTNER_EVENTS_MAX_ENTRIES,
        }
    }

    /// Publishes `entries`, re-sending retryable failures, and reports every entry's outcome.
    ///
    /// # Errors
    /// [`PublishError::EntryTooLarge`] before anything is sent; every other failure is reported
    /// per entry in the [`Report`].
    pub async fn publish(&self, entries: &[Entry]) -> Result<Report, PublishError> {
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
        let started = Instant::now();
        let mut outcomes: Vec<Option<Delivery>> = vec![None; entries.len()];
        let mut last_error: Vec<(String, String)> =
            vec![(String::new(), String::new()); entries.len()];
        let mut pending: Vec<usize> = (0..entries.len()).collect();
        let mut calls = 0;
        let mut attempt = 0u32;
        while !pending.is_empty() {
            attempt += 1;
            let mut retry = Vec::new();
            for batch in self.batches(entries, &pending) {
                calls += 1;
                match self.send(entries, &batch).await {
                    Ok(answers) => {
                        for (position, index) in batch.iter().copied().enumerate() {
                            match answers.get(position) {
                                Some(EntryAnswer::Accepted(event_id)) => {
                                    outcomes[index] = Some(Delivery::Delivered {
                                        event_id: event_id.clone(),
                                        attempts: attempt,
                                    });
                                }
                                Some(EntryAnswer::Rejected { code, message })
                                    if is_retryable_entry_code(code) =>
                                {
                                    last_error[index] = (code.clone(), message.clone());
                                    retry.push(index);
                                }
                                Some(EntryAnswer::Rejected { code, message }) => {
                                    outcomes[index] = Some(Delivery::Failed {
                                        code: code.clone(),
                                        message: message.clone(),
                                        attempts: attempt,
                                    });
                                }
                                None => {
                                    outcomes[index] = Some(Delivery::Failed {
                                        code: "MissingResult".into(),
                                        message: "the response has no result for this entry; it may or may not have been delivered".into(),
                                        attempts: attempt,
                                    });
                                }
                            }
                        }
                    }
                    Err(failure) if failure.kind == RequestErrorKind::Permanent => {
                        for index in batch {
                            outcomes[index] = Some(Delivery::Failed {
                                code: failure.code.clone(),
                                message: failure.message.clone(),
                                attempts: attempt,
                            });
                        }
                    }
                    Err(failure) => {
                        for index in batch {
                            last_error[index] = (failure.code.clone(), failure.message.clone());
                            retry.push(index);
                        }
                    }
                }
            }
            retry.sort_unstable();
            pending = retry;
            if pending.is_empty() {
                break;
            }
            let wait = self.retry.backoff(attempt - 1);
            if attempt >= self.retry.max_attempts || started.elapsed() + wait > self.retry.deadline
            {
                for &index in &pending {
                    let (code, message) = &last_error[index];
                    outcomes[index] = Some(Delivery::Failed {
                        code: code.clone(),
                        message: format!("{message} (gave up after {attempt} attempts)"),
                        attempts: attempt,
                    });
                }
                break;
            }
            tracing::warn!(
                entries = pending.len(),
                attempt,
                wait_ms = wait.as_millis() as u64,
                "re-sending retryable entries"
            );
            tokio::time::sleep(wait).await;
        }
        let deliveries = outcomes
            .into_iter()
            .map(|outcome| {
                outcome.unwrap_or_else(|| Delivery::Failed {
                    code: "NotSent".into(),
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

    async fn send(
        &self,
        entries: &[Entry],
        batch: &[usize],
    ) -> Result<Vec<EntryAnswer>, RequestFailure> {
        let time = |entry: &Entry| {
            entry
                .time()
                .map(|at| AwsDateTime::from_millis(at.timestamp_millis()))
        };
        match &self.api {
            Api::PutEvents { bus } => {
                let request = batch.iter().map(|&index| {
                    let entry = &entries[index];
                    PutEventsRequestEntry::builder()
                        .event_bus_name(bus)
                        .source(entry.source())
                        .detail_type(entry.detail_type())
                        .detail(entry.detail())
                        .set_resources(Some(entry.resources().to_vec()))
                        .set_time(time(entry))
                        .build()
                });
                let output = self
                    .client
                    .put_events()
                    .set_entries(Some(request.collect()))
                    .send()
                    .await
                    .map_err(|error| {
                        request_failure(error.code(), &DisplayErrorContext(&error).to_string())
                    })?;
                Ok(output
                    .entries()
                    .iter()
                    .map(|result| {
                        answer(
                            result.event_id(),
                            result.error_code(),
                            result.error_message(),
                        )
                    })
                    .collect())
            }
            Api::PutPartnerEvents => {
                let request = batch.iter().map(|&index| {
                    let entry = &entries[index];
                    PutPartnerEventsRequestEntry::builder()
                        .source(entry.source())
                        .detail_type(entry.detail_type())
                        .detail(entry.detail())
                        .set_resources(Some(entry.resources().to_vec()))
                        .set_time(time(entry))
                        .build()
                });
                let output = self
                    .client
                    .put_partner_events()
                    .set_entries(Some(request.collect()))
                    .send()
                    .await
                    .map_err(|error| {
                        request_failure(error.code(), &DisplayErrorContext(&error).to_string())
                    })?;
                Ok(output
                    .entries()
                    .iter()
                    .map(|result| {
                        answer(
                            result.event_id(),
                            result.error_code(),
                            result.error_message(),
                        )
                    })
                    .collect())
            }
        }
    }
}

fn answer(event_id: Option<&str>, code: Option<&str>, message: Option<&str>) -> EntryAnswer {
    match (event_id, code) {
        (Some(id), None) => EntryAnswer::Accepted(id.to_owned()),
        (_, code) => EntryAnswer::Rejected {
            code: code.unwrap_or("UnknownError").to_owned(),
            message: message.unwrap_or_default().to_owned(),
        },
    }
}

fn request_failure(code: Option<&str>, message: &str) -> RequestFailure {
    RequestFailure {
        kind: RequestErrorKind::classify(code),
        code: code.unwrap_or("RequestFailed").to_owned(),
        message: message.to_owned(),
    }
}

//! The Classic publisher (PutEvents to a bus, PutPartnerEvents); its loop is `send_loop`'s.

use super::request::{self, Api};
use super::send_loop::{self, EntryAnswer, Limits, RequestFailure, Transport};
use super::{
    DEFAULT_MAX_REQUEST_BYTES, Entry, PUT_EVENTS_MAX_ENTRIES, PUT_PARTNER_EVENTS_MAX_ENTRIES,
    PublishError, Report,
};
use crate::retry::{Deadline, RetryPolicy};
use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::error::ProvideErrorMetadata;
use std::future::Future;
use std::time::Duration;

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
        let sizes: Vec<usize> = entries.iter().map(Entry::size).collect();
        let transport = Classic {
            client: &self.client,
            api: &self.api,
            entries,
        };
        let limits = Limits {
            sizes: &sizes,
            max_request_bytes: self.max_request_bytes,
            retry: &self.retry,
            deadline,
        };
        let (report, _) = send_loop::run(&transport, limits).await?;
        Ok(report)
    }
}

/// One publish call's requests to a Classic API.
struct Classic<'a> {
    client: &'a Client,
    api: &'a Api,
    entries: &'a [Entry],
}

impl Transport for Classic<'_> {
    type Accepted = ();

    fn max_entries(&self) -> usize {
        match self.api {
            Api::PutEvents { .. } => PUT_EVENTS_MAX_ENTRIES,
            Api::PutPartnerEvents => PUT_PARTNER_EVENTS_MAX_ENTRIES,
        }
    }

    fn send(
        &self,
        batch: &[usize],
        remaining: Duration,
    ) -> impl Future<Output = Result<Vec<EntryAnswer<()>>, RequestFailure>> {
        request::send(self.client, self.api, self.entries, batch, remaining)
    }
}

//! Typed publishing to a Custom Event Bus (the `eventbridgev2` API, feature `publish-v2`).
//!
//! [`CustomBusPublisher`] is the Classic [`Publisher`](super::Publisher)'s loop over the v2
//! PutEvents call: the same batching by size, the same per-entry [`FailureClass`](super::FailureClass)es
//! and retries inside the [`RetryPolicy`]'s and the caller's deadline, the same [`Report`]. What
//! the Custom Event Bus adds:
//!
//! * up to 100 entries per call ([`CUSTOM_BUS_PUT_EVENTS_MAX_ENTRIES`]);
//! * per entry an `EventGroupId` (a FIFO subscriber keeps publish order within a group) and a
//!   `DeduplicationId` (the bus drops a second event with the same id within 5 minutes), each 1 to
//!   128 characters, checked before anything is sent;
//! * optional content-based de-duplication for the whole request
//!   ([`CustomBusPublisher::with_content_based_deduplication`]);
//! * an entry the bus answers `DEDUPLICATED` was published before: it counts as delivered
//!   ([`Published::deduplicated`] says so), so a re-send after an unknown outcome is safe when the
//!   entry has a `DeduplicationId` (or the request is content-based);
//! * the bus is named by its ARN (`arn:…:event-busv2/<name>/<id>`) and checked with
//!   DescribeEventBus before the first send.
//!
//! The size limit of a Custom Event Bus request is not documented; the Classic limit
//! ([`DEFAULT_MAX_REQUEST_BYTES`](super::DEFAULT_MAX_REQUEST_BYTES)) applies until changed with
//! [`CustomBusPublisher::with_max_request_bytes`], with the group and de-duplication ids counted.

use super::request::request_failure;
use super::send_loop::{self, EntryAnswer, Limits, RequestFailure, Transport};
use super::{DEFAULT_MAX_REQUEST_BYTES, Entry, PublishError, Report, RequestErrorKind};
use crate::TypedDetail;
use crate::retry::{Deadline, RetryPolicy};
use aws_sdk_eventbridgev2::Client;
use aws_sdk_eventbridgev2::config::retry::RetryConfig;
use aws_sdk_eventbridgev2::error::ProvideErrorMetadata;
use aws_sdk_eventbridgev2::primitives::DateTime as AwsDateTime;
use aws_sdk_eventbridgev2::types::{
    DeduplicationConfiguration, DeduplicationType, PutEventsRequestEntry, PutEventsSystemMetadata,
    SuccessCode,
};
use serde::Serialize;
use std::time::Duration;

/// Entries per Custom Event Bus PutEvents call.
pub const CUSTOM_BUS_PUT_EVENTS_MAX_ENTRIES: usize = 100;
/// The longest `EventGroupId` or `DeduplicationId`.
pub const MAX_SYSTEM_ID_LEN: usize = 128;

/// An event to publish on a Custom Event Bus: a Classic [`Entry`] with an optional event group
/// and de-duplication id.
///
/// ```
/// use eventbridge_lambda::publish::custom_bus::CustomBusEntry;
/// use eventbridge_lambda::{InstanceState, InstanceStateChange};
/// let entry = CustomBusEntry::new(&InstanceStateChange::new("i-1", InstanceState::Stopped))
///     .unwrap()
///     .in_group("i-1")
///     .with_deduplication_id("i-1-stopped");
/// assert_eq!(entry.event_group_id(), Some("i-1"));
/// assert_eq!(entry.entry().source(), "aws.ec2");
/// assert_eq!(entry.size(), entry.entry().size() + "i-1".len() + "i-1-stopped".len());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct CustomBusEntry {
    entry: Entry,
    event_group_id: Option<String>,
    deduplication_id: Option<String>,
}

impl CustomBusEntry {
    /// An entry for a typed detail: `source` and `detail-type` come from its type.
    ///
    /// # Errors
    /// As [`Entry::new`].
    pub fn new<T: TypedDetail + Serialize>(detail: &T) -> Result<Self, PublishError> {
        Entry::new(detail).map(Self::from)
    }

    /// Puts the event in an event group: a FIFO subscriber delivers a group's events in publish
    /// order (use the business key, e.g. the order id).
    pub fn in_group(mut self, event_group_id: impl Into<String>) -> Self {
        self.event_group_id = Some(event_group_id.into());
        self
    }

    /// Sets the de-duplication id: the bus drops a later event with the same id (within its group,
    /// when it has one) for 5 minutes, answering `DEDUPLICATED`.
    pub fn with_deduplication_id(mut self, deduplication_id: impl Into<String>) -> Self {
        self.deduplication_id = Some(deduplication_id.into());
        self
    }

    /// The Classic part: source, detail-type, detail, resources, time.
    pub fn entry(&self) -> &Entry {
        &self.entry
    }

    /// The event group, when set.
    pub fn event_group_id(&self) -> Option<&str> {
        self.event_group_id.as_deref()
    }

    /// The de-duplication id, when set.
    pub fn deduplication_id(&self) -> Option<&str> {
        self.deduplication_id.as_deref()
    }

    /// The size counted against the request limit: the Classic formula ([`Entry::size`]) plus
    /// the bytes of the group and de-duplication ids (AWS documents no formula for this API).
    pub fn size(&self) -> usize {
        self.entry.size()
            + self.event_group_id.as_ref().map_or(0, String::len)
            + self.deduplication_id.as_ref().map_or(0, String::len)
    }

    /// The first field that breaks the API's limits.
    fn invalid_field(&self) -> Option<(&'static str, usize)> {
        [
            ("EventGroupId", &self.event_group_id),
            ("DeduplicationId", &self.deduplication_id),
        ]
        .into_iter()
        .find_map(|(field, value)| {
            let length = value.as_ref()?.chars().count();
            (length == 0 || length > MAX_SYSTEM_ID_LEN).then_some((field, length))
        })
    }
}

impl From<Entry> for CustomBusEntry {
    /// An entry without group or de-duplication id.
    fn from(entry: Entry) -> Self {
        Self {
            entry,
            event_group_id: None,
            deduplication_id: None,
        }
    }
}

/// What the bus said about an entry it accepted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Published {
    /// The bus's sequence number of the event (a decimal string), when given.
    pub sequence_number: Option<String>,
    /// `DEDUPLICATED`: the bus already had this event (same `DeduplicationId`, or the same
    /// content with content-based de-duplication) and did not publish it again. Delivered all
    /// the same.
    pub deduplicated: bool,
}

/// The outcome of a Custom Event Bus publish call: the Classic [`Report`] (a `DEDUPLICATED`
/// entry is [`Delivered`](super::Delivery::Delivered)) and, per input entry in order, what the
/// bus said about it when it accepted it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CustomBusReport {
    /// Every entry's delivery, in input order.
    pub report: Report,
    /// Per input entry: `Some` when accepted (published or de-duplicated), `None` otherwise.
    pub published: Vec<Option<Published>>,
}

impl CustomBusReport {
    /// True when every entry was delivered (published or de-duplicated).
    pub fn all_delivered(&self) -> bool {
        self.report.all_delivered()
    }

    /// How many entries the bus answered `DEDUPLICATED`.
    pub fn deduplicated(&self) -> usize {
        self.published
            .iter()
            .flatten()
            .filter(|published| published.deduplicated)
            .count()
    }
}

/// Publishes entries to one Custom Event Bus.
///
/// ```no_run
/// use eventbridge_lambda::publish::custom_bus::{CustomBusEntry, CustomBusPublisher};
/// use eventbridge_lambda::retry::Deadline;
/// # async fn demo(order: eventbridge_lambda::OrderCreated, ctx: eventbridge_lambda::Context) -> Result<(), Box<dyn std::error::Error>> {
/// let config = eventbridge_lambda::aws::sdk_config().await;
/// let client = aws_sdk_eventbridgev2::Client::new(&config);
/// let bus = "arn:aws:events:us-east-1:123456789012:event-busv2/orders/a1b2c3d4e5f6a7b8c9d0e1f2a";
/// let publisher = CustomBusPublisher::new(client, bus).await?;
/// let entry = CustomBusEntry::new(&order)?
///     .in_group(order.order_id.clone())
///     .with_deduplication_id(format!("{}-created", order.order_id));
/// let report = publisher.publish_before(&[entry], Deadline::of_invocation(ctx.deadline())).await?;
/// assert!(report.all_delivered(), "{report:?}");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct CustomBusPublisher {
    client: Client,
    bus_arn: String,
    content_based: bool,
    max_request_bytes: usize,
    retry: RetryPolicy,
}

impl CustomBusPublisher {
    /// A publisher for the bus `bus_arn`, after checking with DescribeEventBus that it exists.
    ///
    /// # Errors
    /// [`PublishError::BusNotFound`] or [`PublishError::BusCheck`].
    pub async fn new(client: Client, bus_arn: impl Into<String>) -> Result<Self, PublishError> {
        let bus_arn = bus_arn.into();
        match client
            .describe_event_bus()
            .event_bus_arn(&bus_arn)
            .send()
            .await
        {
            Ok(_) => {}
            Err(error) if error.code() == Some("ResourceNotFoundException") => {
                return Err(PublishError::BusNotFound(bus_arn));
            }
            Err(error) => {
                return Err(PublishError::BusCheck {
                    bus: bus_arn,
                    source: Box::new(error),
                });
            }
        }
        Ok(Self {
            // The publisher is the one layer that retries, as the Classic publisher is.
            client: Client::from_conf(
                client
                    .config()
                    .to_builder()
                    .retry_config(RetryConfig::disabled())
                    .build(),
            ),
            bus_arn,
            content_based: false,
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
            retry: RetryPolicy::default(),
        })
    }

    /// De-duplicates every request by content (`DeduplicationType: CONTENT_BASED`): the bus
    /// drops an event identical to one published in the last 5 minutes.
    pub fn with_content_based_deduplication(mut self) -> Self {
        self.content_based = true;
        self
    }

    /// Sets the request size limit (256 KiB by default).
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

    /// The bus ARN.
    pub fn bus_arn(&self) -> &str {
        &self.bus_arn
    }

    /// Publishes `entries`, re-sending retryable failures within the retry policy's deadline.
    /// Inside a Lambda function, use [`publish_before`](Self::publish_before).
    ///
    /// # Errors
    /// [`PublishError::EntryTooLarge`] or [`PublishError::InvalidSystemId`] before anything is
    /// sent; every other failure is reported per entry.
    pub async fn publish(
        &self,
        entries: &[CustomBusEntry],
    ) -> Result<CustomBusReport, PublishError> {
        self.run(entries, None).await
    }

    /// Publishes `entries` as [`publish`](Self::publish) does, ending by `deadline` (the
    /// invocation's: [`Deadline::of_invocation`]) when it is earlier than the policy's.
    ///
    /// # Errors
    /// As [`publish`](Self::publish).
    pub async fn publish_before(
        &self,
        entries: &[CustomBusEntry],
        deadline: Deadline,
    ) -> Result<CustomBusReport, PublishError> {
        self.run(entries, Some(deadline)).await
    }

    async fn run(
        &self,
        entries: &[CustomBusEntry],
        deadline: Option<Deadline>,
    ) -> Result<CustomBusReport, PublishError> {
        if let Some((index, (field, length))) = entries
            .iter()
            .enumerate()
            .find_map(|(index, entry)| Some((index, entry.invalid_field()?)))
        {
            return Err(PublishError::InvalidSystemId {
                index,
                field,
                length,
            });
        }
        let sizes: Vec<usize> = entries.iter().map(CustomBusEntry::size).collect();
        let limits = Limits {
            sizes: &sizes,
            max_request_bytes: self.max_request_bytes,
            retry: &self.retry,
            deadline,
        };
        let call = Call {
            publisher: self,
            entries,
        };
        let (report, published) = send_loop::run(&call, limits).await?;
        Ok(CustomBusReport { report, published })
    }
}

/// One publish call's requests.
struct Call<'a> {
    publisher: &'a CustomBusPublisher,
    entries: &'a [CustomBusEntry],
}

impl Transport for Call<'_> {
    type Accepted = Published;

    fn max_entries(&self) -> usize {
        CUSTOM_BUS_PUT_EVENTS_MAX_ENTRIES
    }

    async fn send(
        &self,
        batch: &[usize],
        remaining: Duration,
    ) -> Result<Vec<EntryAnswer<Published>>, RequestFailure> {
        send_loop::within_remaining(remaining, self.send_once(batch)).await
    }
}

impl Call<'_> {
    async fn send_once(
        &self,
        batch: &[usize],
    ) -> Result<Vec<EntryAnswer<Published>>, RequestFailure> {
        let mut request = Vec::with_capacity(batch.len());
        for &index in batch {
            request.push(request_entry(&self.entries[index])?);
        }
        let publisher = self.publisher;
        let dedup = if publisher.content_based {
            Some(
                DeduplicationConfiguration::builder()
                    .deduplication_type(DeduplicationType::ContentBased)
                    .build()
                    .map_err(|error| not_built(&error))?,
            )
        } else {
            None
        };
        let output = publisher
            .client
            .put_events()
            .event_bus_arn(&publisher.bus_arn)
            .set_entries(Some(request))
            .set_deduplication_configuration(dedup)
            .send()
            .await
            .map_err(|error| request_failure(error.code(), &error))?;
        Ok(output
            .entries()
            .iter()
            .map(|result| {
                let deduplicated = result.success_code() == Some(&SuccessCode::Deduplicated);
                match (
                    result.error_code(),
                    result.success_code(),
                    result.event_id(),
                ) {
                    (None, Some(_), event_id) | (None, None, event_id @ Some(_)) => {
                        EntryAnswer::Accepted(
                            // A DEDUPLICATED answer may not name the original event.
                            event_id.unwrap_or_default().to_owned(),
                            Published {
                                sequence_number: result.sequence_number().map(str::to_owned),
                                deduplicated,
                            },
                        )
                    }
                    (code, _, _) => EntryAnswer::Rejected {
                        code: code.unwrap_or("UnknownError").to_owned(),
                        message: result.error_message().unwrap_or_default().to_owned(),
                    },
                }
            })
            .collect())
    }
}

/// The SDK entry for `entry`.
fn request_entry(entry: &CustomBusEntry) -> Result<PutEventsRequestEntry, RequestFailure> {
    let classic = &entry.entry;
    let system = (entry.event_group_id.is_some() || entry.deduplication_id.is_some()).then(|| {
        PutEventsSystemMetadata::builder()
            .set_event_group_id(entry.event_group_id.clone())
            .set_deduplication_id(entry.deduplication_id.clone())
            .build()
    });
    PutEventsRequestEntry::builder()
        .source(classic.source())
        .detail_type(classic.detail_type())
        .detail(classic.detail())
        .set_resources(Some(classic.resources().to_vec()))
        .set_time(
            classic
                .time()
                .map(|at| AwsDateTime::from_millis(at.timestamp_millis())),
        )
        .set_system_metadata(system)
        .build()
        .map_err(|error| not_built(&error))
}

/// A request the SDK refused to build (a required field missing): nothing can be sent.
fn not_built(error: &impl std::error::Error) -> RequestFailure {
    RequestFailure {
        kind: RequestErrorKind::Permanent,
        code: "ValidationException".to_owned(),
        message: format!("the request could not be built: {error}"),
    }
}

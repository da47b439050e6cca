//! The Custom Event Bus operations serve answers, over the template's buses and subscribers.
//!
//! **PutEvents** takes `EventBusArn` (the bus's ARN; its name is accepted too, leniently),
//! 1-100 `Entries` and an optional `DeduplicationConfiguration` (`CONTENT_BASED`), and answers at
//! once: per entry, in request order, `EventId`, `SequenceNumber` and `SuccessCode`
//! (`PUBLISHED`, or `DEDUPLICATED` with the first event's id and number), or `ErrorCode` and
//! `ErrorMessage`. The API reference names no entry error codes for this API; localbus uses the
//! Classic API's (`InvalidArgument`, `MalformedDetail`, `NotAuthorizedForSourceException`) and
//! accepts the call's other entries, as the Classic API does. A request-level fault (no bus, no
//! or too many entries, another `DeduplicationType`) fails the whole call with the model's
//! error (`InvalidInputException`, `ResourceNotFoundException`).
//!
//! **ListEventBuses**, **DescribeEventBus**, **ListSubscribers**, **DescribeSubscriber** describe
//! the template's resources (`NamePrefix` filters the lists; everything fits in one page, so no
//! `NextToken` is returned). Every bus and subscriber is `ACTIVE` / as the template sets its
//! `State`, created when serve started.

use super::protocol::{CborMap, CustomBusError};
use super::{CustomBusApi, RunningBus};
use crate::v2::payload::DeliveryType;
use crate::v2::store::SuccessCode;
use ciborium::Value as Cbor;
use sam_template::{
    Destination, InvocationType, Ordering, StartingPosition, Subscriber, SubscriberState,
};
use serde_json::{Map, Value};

/// The most entries of one PutEvents call.
const MAX_ENTRIES: usize = 100;

/// An optional string member.
fn string<'a>(
    request: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a str>, CustomBusError> {
    match request.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(CustomBusError::serialization(format!(
            "{name} must be a string"
        ))),
    }
}

/// A required string member.
fn required<'a>(request: &'a Map<String, Value>, name: &str) -> Result<&'a str, CustomBusError> {
    string(request, name)?
        .filter(|text| !text.is_empty())
        .ok_or_else(|| CustomBusError::invalid_input(format!("{name} is required.")))
}

/// `PutEvents`.
pub(super) fn put_events(
    api: &CustomBusApi,
    request: &Map<String, Value>,
) -> Result<Cbor, CustomBusError> {
    let arn = required(request, "EventBusArn")?;
    let entries = match request.get("Entries") {
        Some(Value::Array(entries)) => entries,
        None | Some(Value::Null) => {
            return Err(CustomBusError::invalid_input("Entries is required."));
        }
        Some(_) => return Err(CustomBusError::serialization("Entries must be a list")),
    };
    if entries.is_empty() || entries.len() > MAX_ENTRIES {
        return Err(CustomBusError::invalid_input(format!(
            "Entries must hold 1 to {MAX_ENTRIES} entries; the request has {}.",
            entries.len()
        )));
    }
    let content_based = match request.get("DeduplicationConfiguration") {
        None | Some(Value::Null) => false,
        Some(configuration) => match configuration.get("DeduplicationType") {
            Some(Value::String(kind)) if kind == "CONTENT_BASED" => true,
            other => {
                return Err(CustomBusError::invalid_input(format!(
                    "DeduplicationConfiguration.DeduplicationType must be CONTENT_BASED, not {}.",
                    other.map_or_else(|| "missing".to_owned(), Value::to_string)
                )));
            }
        },
    };
    let bus = api.bus(arn)?;
    let stack = &api.context.stack;
    let mut failed: u64 = 0;
    let mut results = Vec::with_capacity(entries.len());
    // The store stays locked until every published event is offered to the subscribers, so
    // their queues hold the events in sequence order.
    let mut store = bus.store();
    for (index, value) in entries.iter().enumerate() {
        let entry = match checked_entry(index, value) {
            Ok(entry) => entry,
            Err((code, message)) => {
                failed += 1;
                results.push(
                    CborMap::new()
                        .text("ErrorCode", code)
                        .text("ErrorMessage", &message)
                        .build(),
                );
                continue;
            }
        };
        let now = chrono::Utc::now().timestamp_millis();
        match store.publish(&entry, content_based, stack.region(), stack.account(), now) {
            Ok(published) => {
                if published.code == SuccessCode::Published {
                    offer_live(api, bus, &published.event);
                }
                results.push(
                    CborMap::new()
                        .text("EventId", &published.event.event_id)
                        .text("SequenceNumber", &published.event.sequence_number)
                        .text("SuccessCode", published.code.as_str())
                        .build(),
                );
            }
            Err(error) => {
                failed += 1;
                results.push(
                    CborMap::new()
                        .text("ErrorCode", "InternalFailure")
                        .text("ErrorMessage", &error.to_string())
                        .build(),
                );
            }
        }
    }
    drop(store);
    Ok(CborMap::new()
        .int("FailedEntryCount", failed)
        .value("Entries", Cbor::Array(results))
        .build())
}

fn offer_live(api: &CustomBusApi, bus: &RunningBus, event: &crate::v2::store::StoredEvent) {
    for subscriber in &bus.subscribers {
        subscriber.offer(event, DeliveryType::Live, &api.deliveries);
    }
}

/// One entry, checked: the entry, or its error code and message.
fn checked_entry(
    index: usize,
    value: &Value,
) -> Result<crate::v2::entry::Entry, (&'static str, String)> {
    let Value::Object(map) = value else {
        return Err(("InvalidArgument", "Entries must hold structures.".into()));
    };
    if map
        .get("Source")
        .and_then(Value::as_str)
        .is_some_and(|source| source.starts_with("aws."))
    {
        return Err((
            "NotAuthorizedForSourceException",
            "Not authorized for the source: values starting with `aws.` are reserved for AWS services.".into(),
        ));
    }
    if let Some(Value::String(detail)) = map.get("Detail")
        && !matches!(serde_json::from_str::<Value>(detail), Ok(Value::Object(_)))
    {
        return Err(("MalformedDetail", "Detail is malformed.".into()));
    }
    crate::v2::entry::entry(&format!("Entries[{index}]"), value)
        .map_err(|error| ("InvalidArgument", error.to_string()))
}

fn bus_summary(api: &CustomBusApi, bus: &RunningBus) -> CborMap {
    CborMap::new()
        .text("Name", &bus.identity.name)
        .text("EventBusArn", &bus.identity.arn)
        .text("State", "ACTIVE")
        .time("CreationTime", api.started_ms)
        .time("LastModifiedTime", api.started_ms)
}

/// `ListEventBuses`.
pub(super) fn list_event_buses(
    api: &CustomBusApi,
    request: &Map<String, Value>,
) -> Result<Cbor, CustomBusError> {
    let prefix = string(request, "NamePrefix")?.unwrap_or_default();
    let buses = api
        .buses
        .iter()
        .filter(|bus| bus.identity.name.starts_with(prefix))
        .map(|bus| {
            bus_summary(api, bus)
                .text("EventBusAccountId", api.context.stack.account())
                .build()
        })
        .collect();
    Ok(CborMap::new()
        .value("EventBuses", Cbor::Array(buses))
        .build())
}

/// `DescribeEventBus`.
pub(super) fn describe_event_bus(
    api: &CustomBusApi,
    request: &Map<String, Value>,
) -> Result<Cbor, CustomBusError> {
    let bus = api.bus(required(request, "EventBusArn")?)?;
    Ok(bus_summary(api, bus)
        .value(
            "StorageConfiguration",
            CborMap::new()
                .int(
                    "RetentionPeriodInDays",
                    u64::from(bus.identity.retention_days),
                )
                .build(),
        )
        .build())
}

/// `ListSubscribers`: of one bus (`EventBusArn`) or of all.
pub(super) fn list_subscribers(
    api: &CustomBusApi,
    request: &Map<String, Value>,
) -> Result<Cbor, CustomBusError> {
    let only = string(request, "EventBusArn")?
        .map(|arn| api.bus(arn))
        .transpose()?;
    let prefix = string(request, "NamePrefix")?.unwrap_or_default();
    let mut subscribers = Vec::new();
    for bus in api.buses.iter() {
        if only.is_some_and(|only| !std::ptr::eq(only, bus)) {
            continue;
        }
        for worker in &bus.subscribers {
            let name = subscriber_name(api, &worker.subscriber);
            if !name.starts_with(prefix) {
                continue;
            }
            subscribers.push(
                subscriber_summary(api, bus, &worker.subscriber, &worker.arn)
                    .opt_text("TargetArn", target_arn(api, &worker.subscriber).as_deref())
                    .text("SubscriberAccountId", api.context.stack.account())
                    .build(),
            );
        }
    }
    Ok(CborMap::new()
        .value("Subscribers", Cbor::Array(subscribers))
        .build())
}

/// `DescribeSubscriber`: by `SubscriberArn` (its name or logical id accepted too, leniently).
pub(super) fn describe_subscriber(
    api: &CustomBusApi,
    request: &Map<String, Value>,
) -> Result<Cbor, CustomBusError> {
    let arn = required(request, "SubscriberArn")?;
    let (bus, worker) = api
        .buses
        .iter()
        .flat_map(|bus| bus.subscribers.iter().map(move |worker| (bus, worker)))
        .find(|(_, worker)| {
            worker.arn == arn
                || worker.subscriber.logical_id == arn
                || subscriber_name(api, &worker.subscriber) == arn
        })
        .ok_or_else(|| CustomBusError::not_found(format!("Subscriber {arn} does not exist.")))?;
    let subscriber = &worker.subscriber;
    let stack = &api.context.stack;
    let mut invoke = CborMap::new()
        .opt_text("TargetArn", target_arn(api, subscriber).as_deref())
        .opt_text("RoleArn", stack.resolve(&subscriber.role).ok().as_deref());
    if let Some(kind) = subscriber.invocation_type {
        invoke = invoke.value(
            "LambdaParameters",
            CborMap::new()
                .text(
                    "InvocationType",
                    match kind {
                        InvocationType::Event => "EVENT",
                        InvocationType::RequestResponse => "REQUEST_RESPONSE",
                    },
                )
                .build(),
        );
    }
    let mut answer = subscriber_summary(api, bus, subscriber, &worker.arn)
        .value("InvokeConfiguration", invoke.build())
        .text(
            "StartingPosition",
            match subscriber.starting_position {
                StartingPosition::Latest => "LATEST",
                StartingPosition::PointInTime { .. } => "POINT_IN_TIME",
            },
        )
        .value(
            "BatchConfiguration",
            CborMap::new()
                .int("MaxBatchSize", u64::from(subscriber.max_batch_size()))
                .int(
                    "MaxBatchWindowInSeconds",
                    u64::from(subscriber.max_batch_window_seconds),
                )
                .build(),
        )
        .value(
            "Transformer",
            CborMap::new()
                .text("Type", subscriber.transformer.as_str())
                .build(),
        )
        .value(
            "RetryPolicy",
            CborMap::new()
                .int("MaxRetryAttempts", u64::from(subscriber.max_retry_attempts))
                .int(
                    "MaxEventAgeInSeconds",
                    u64::from(subscriber.max_event_age_seconds),
                )
                .text("RetryStrategy", "ALL")
                .build(),
        );
    if let StartingPosition::PointInTime { from, until } = subscriber.starting_position {
        let mut point = CborMap::new().text(
            "PointType",
            if from.is_some() {
                "TIMESTAMP"
            } else {
                "HORIZON"
            },
        );
        if let Some(from) = from {
            point = point.time("StartingPoint", from.saturating_mul(1000));
        }
        if let Some(until) = until {
            point = point.time("EndPoint", until.saturating_mul(1000));
        }
        answer = answer.value("PointInTimeConfiguration", point.build());
    }
    if !subscriber.filters.is_empty() {
        let filters = subscriber
            .filters
            .iter()
            .map(|filter| {
                CborMap::new()
                    .text("Pattern", &filter.pattern)
                    .text("Scope", filter.scope.as_str())
                    .build()
            })
            .collect();
        answer = answer.value(
            "FilterConfiguration",
            CborMap::new()
                .text("Language", "EVENT_BRIDGE_PATTERN")
                .value("Filters", Cbor::Array(filters))
                .build(),
        );
    }
    if let Some(on_failure) = &subscriber.on_failure {
        answer = answer.value(
            "OnFailureConfiguration",
            CborMap::new()
                .opt_text("Arn", destination_arn(api, on_failure).as_deref())
                .build(),
        );
    }
    Ok(answer.build())
}

fn subscriber_name(api: &CustomBusApi, subscriber: &Subscriber) -> String {
    api.context
        .stack
        .resolve(&subscriber.name)
        .unwrap_or_else(|_| subscriber.logical_id.clone())
}

/// What a subscriber's summary and description share.
fn subscriber_summary(
    api: &CustomBusApi,
    bus: &RunningBus,
    subscriber: &Subscriber,
    arn: &str,
) -> CborMap {
    CborMap::new()
        .text("SubscriberArn", arn)
        .text("Name", &subscriber_name(api, subscriber))
        .text("EventBusArn", &bus.identity.arn)
        .text(
            "Type",
            match subscriber.ordering() {
                Ordering::Fifo => "FIFO",
                Ordering::Unordered => "UNORDERED",
            },
        )
        .text(
            "State",
            match subscriber.state {
                SubscriberState::Running => "RUNNING",
                SubscriberState::Stopped => "STOPPED",
            },
        )
        .time("CreationTime", api.started_ms)
        .time("LastModifiedTime", api.started_ms)
}

fn target_arn(api: &CustomBusApi, subscriber: &Subscriber) -> Option<String> {
    destination_arn(api, &subscriber.target)
}

/// The ARN of a destination: a resource of the template in the local stack, or the value
/// written in the template.
fn destination_arn(api: &CustomBusApi, destination: &Destination) -> Option<String> {
    let stack = &api.context.stack;
    match destination {
        Destination::External(expr) => stack.resolve(expr).ok(),
        other => other.logical_id().and_then(|id| stack.arn(id).ok()),
    }
}

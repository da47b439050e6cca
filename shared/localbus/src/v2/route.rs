//! `routes` and `route` for Custom Event Buses: every subscriber with its settings, and which
//! subscribers an entry reaches with the payload each would receive.

use super::deliver::{self, Candidate};
use super::entry;
use super::filter::SubscriberFilter;
use super::payload::{self, DeliveryType};
use super::store::{FIRST_SEQUENCE, new_event};
use crate::stack::Stack;
use sam_template::{Destination, Ordering, StartingPosition, Subscriber, Template};
use serde_json::{Value, json};

/// Prints the subscribers of every Custom Event Bus (nothing when there are none); returns
/// whether one has an invalid filter.
pub(crate) fn print_subscribers(template: &Template) -> bool {
    if template.subscribers().is_empty() {
        return false;
    }
    let mut invalid = false;
    crate::output::line(format_args!(
        "\n{:<16} {:<32} {:<9} {:<8} {:<22} {:<28} FILTERS",
        "CUSTOM BUS", "SUBSCRIBER", "TYPE", "STATE", "TARGET", "DELIVERY"
    ));
    for subscriber in template.subscribers() {
        let filters = match SubscriberFilter::new(subscriber) {
            Ok(_) if subscriber.filters.is_empty() => "(every event)".to_owned(),
            Ok(_) => subscriber
                .filters
                .iter()
                .map(|f| format!("{}: {}", f.scope.as_str(), f.pattern))
                .collect::<Vec<_>>()
                .join(" AND "),
            Err(error) => {
                invalid = true;
                format!("INVALID: {error}")
            }
        };
        crate::output::line(format_args!(
            "{:<16} {:<32} {:<9} {:<8} {:<22} {:<28} {filters}",
            subscriber.bus.as_deref().unwrap_or("(external)"),
            subscriber.logical_id,
            match subscriber.ordering() {
                Ordering::Fifo => "FIFO",
                Ordering::Unordered => "UNORDERED",
            },
            format!("{:?}", subscriber.state).to_uppercase(),
            target_name(subscriber),
            delivery(subscriber),
        ));
    }
    invalid
}

fn target_name(subscriber: &Subscriber) -> String {
    match &subscriber.target {
        Destination::Function(f) | Destination::Queue(f) => f.clone(),
        other => format!("{other:?}"),
    }
}

/// Transformer, batch size, retries, on-failure queue and starting position, in one cell.
fn delivery(subscriber: &Subscriber) -> String {
    let on_failure = match &subscriber.on_failure {
        Some(destination) => destination
            .logical_id()
            .map_or_else(|| "external".to_owned(), str::to_owned),
        None => "NONE (dropped)".to_owned(),
    };
    let start = match subscriber.starting_position {
        StartingPosition::Latest => "LATEST",
        StartingPosition::PointInTime { .. } => "POINT_IN_TIME",
    };
    format!(
        "{} x{} retry {}/{}s -> {on_failure}, {start}",
        subscriber.transformer.as_str(),
        subscriber.max_batch_size(),
        subscriber.max_retry_attempts,
        subscriber.max_event_age_seconds
    )
}

/// `route` on a Custom Event Bus: one match per subscriber the entry reaches, with the payload
/// of a batch holding that event alone (`LIVE`).
pub(crate) fn route(
    template: &Template,
    stack: &Stack,
    bus: &str,
    text: &str,
) -> Result<Vec<Value>, String> {
    let request = entry::parse("--event", text).map_err(|e| e.to_string())?;
    let now = chrono::Utc::now().timestamp_millis();
    let mut matches = Vec::new();
    for (index, entry) in request.entries.iter().enumerate() {
        let sequence = FIRST_SEQUENCE + u128::try_from(index).unwrap_or(0);
        let event = new_event(entry, None, sequence, stack.region(), stack.account(), now);
        let candidate = [Candidate {
            event,
            delivery: DeliveryType::Live,
        }];
        for subscriber in template.subscribers_on_bus(bus) {
            let filter = SubscriberFilter::new(subscriber).map_err(|e| e.to_string())?;
            if deliver::matching(&filter, &candidate).is_empty() {
                continue;
            }
            let input = payload::record(subscriber, &candidate[0].event, DeliveryType::Live)
                .map(|record| payload::batch(subscriber, vec![record]))
                .map_err(|e| e.to_string());
            let mut entry = json!({
                "Subscriber": subscriber.logical_id,
                "Function": match &subscriber.target {
                    Destination::Function(f) => Value::String(f.clone()),
                    _ => Value::Null,
                },
                "Delivery": "lambda",
                "Type": match subscriber.ordering() {
                    Ordering::Fifo => "FIFO",
                    Ordering::Unordered => "UNORDERED",
                },
            });
            match input {
                Ok(input) => entry["Input"] = input,
                Err(error) => entry["Error"] = Value::String(error),
            }
            matches.push(entry);
        }
    }
    Ok(matches)
}

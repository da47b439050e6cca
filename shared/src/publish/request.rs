//! One PutEvents / PutPartnerEvents request: built from a batch, bounded by the remaining time,
//! sent without the SDK's own retries ([`single_attempt`]), answered per entry.

use super::send_loop::{self, EntryAnswer, RequestFailure};
use super::{Entry, NO_ANSWER, RequestErrorKind};
use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::config::retry::RetryConfig;
use aws_sdk_eventbridge::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_eventbridge::primitives::DateTime as AwsDateTime;
use aws_sdk_eventbridge::types::{PutEventsRequestEntry, PutPartnerEventsRequestEntry};
use std::time::Duration;

/// Which API the publisher calls.
#[derive(Clone, Debug)]
pub(super) enum Api {
    PutEvents { bus: String },
    PutPartnerEvents,
}

/// A copy of `client` (same HTTP client, credentials, Region, endpoint, timeouts) with the SDK's
/// own retries off: the publisher is the one layer that retries (request-level and per-entry
/// failures alike, with full jitter, inside its deadline), so a request is one HTTP call and the
/// worst case is `max_attempts` calls per entry. Made once per publisher: a per-operation config
/// override does the same but costs a configuration layer on every call.
pub(super) fn single_attempt(client: &Client) -> Client {
    Client::from_conf(
        client
            .config()
            .to_builder()
            .retry_config(RetryConfig::disabled())
            .build(),
    )
}

/// Sends `batch` (positions in `entries`), giving up after `remaining`: an unanswered request's
/// entries have an unknown outcome ([`NO_ANSWER`]).
pub(super) async fn send(
    client: &Client,
    api: &Api,
    entries: &[Entry],
    batch: &[usize],
    remaining: Duration,
) -> Result<Vec<EntryAnswer<()>>, RequestFailure> {
    send_loop::within_remaining(remaining, send_once(client, api, entries, batch)).await
}

async fn send_once(
    client: &Client,
    api: &Api,
    entries: &[Entry],
    batch: &[usize],
) -> Result<Vec<EntryAnswer<()>>, RequestFailure> {
    let time = |entry: &Entry| {
        entry
            .time()
            .map(|at| AwsDateTime::from_millis(at.timestamp_millis()))
    };
    match api {
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
            let output = client
                .put_events()
                .set_entries(Some(request.collect()))
                .send()
                .await
                .map_err(|error| request_failure(error.code(), &error))?;
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
            let output = client
                .put_partner_events()
                .set_entries(Some(request.collect()))
                .send()
                .await
                .map_err(|error| request_failure(error.code(), &error))?;
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

fn answer(event_id: Option<&str>, code: Option<&str>, message: Option<&str>) -> EntryAnswer<()> {
    match (event_id, code) {
        (Some(id), None) => EntryAnswer::Accepted(id.to_owned(), ()),
        (_, code) => EntryAnswer::Rejected {
            code: code.unwrap_or("UnknownError").to_owned(),
            message: message.unwrap_or_default().to_owned(),
        },
    }
}

/// A request error: its code (none: the request got no readable answer, [`NO_ANSWER`]) and the
/// SDK error's full text.
pub(super) fn request_failure(
    code: Option<&str>,
    error: &impl std::error::Error,
) -> RequestFailure {
    RequestFailure {
        kind: RequestErrorKind::classify(code),
        code: code.unwrap_or(NO_ANSWER).to_owned(),
        message: DisplayErrorContext(error).to_string(),
    }
}

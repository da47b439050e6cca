//! `localbus send --event-bus-name <Custom Event Bus>`: publish with PutEvents' rules
//! (sequence numbers, de-duplication, retention on disk), then deliver to every subscriber of
//! the bus (see [`super::deliver`]) and report per batch.
//!
//! Each run is a fresh deployment of the subscribers: a `LATEST` subscriber receives the events
//! published in this run (`LIVE`); a `POINT_IN_TIME` subscriber first receives the bus's
//! retained events from its starting point (`REPLAY`), then this run's (`LIVE`), up to its
//! `EndPoint` when one is set.

use super::deliver::{self, BatchReport, Candidate, Target};
use super::entry::{self, Request};
use super::filter::SubscriberFilter;
use super::payload::DeliveryType;
use super::store::{BusStore, Published, StoredEvent, SuccessCode};
use super::{BusIdentity, V2Error, subscriber_arn};
use crate::deliver::{Context, Outcome};
use crate::route::Output;
use crate::send::{millis, report_details};
use crate::session::{DeployArgs, Session};
use sam_template::{Destination, StartingPosition, Subscriber};
use serde_json::{Value, json};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

/// What `send` passes on for a Custom Event Bus.
pub(crate) struct SendArgs<'a> {
    /// The bus's logical id.
    pub(crate) bus: String,
    /// The `--event` values.
    pub(crate) events: &'a [String],
    /// The report's format.
    pub(crate) output: Output,
    /// Where the bus keeps its events.
    pub(crate) state_dir: &'a Path,
    /// The local deployment.
    pub(crate) deploy: &'a DeployArgs,
}

/// One run's results.
struct Run {
    bus: BusIdentity,
    published: Vec<Published>,
    batches: Vec<BatchReport>,
    started: Instant,
}

/// Runs `send` on a Custom Event Bus: exit 0 when every batch was delivered, 1 when one was
/// not, 2 when nothing could be sent.
pub(crate) fn run(args: &SendArgs<'_>) -> ExitCode {
    match crate::block_on::block_on(send(args)).and_then(|result| result) {
        Ok((session, run)) => {
            let ok = run
                .batches
                .iter()
                .all(|b| b.report.outcome == Outcome::Succeeded);
            match args.output {
                Output::Json => crate::output::line(
                    serde_json::to_string_pretty(&json_report(&session, &run)).unwrap_or_default(),
                ),
                Output::Table => table_report(&session, &run),
            }
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(message) => {
            eprintln!("localbus send: {message}");
            ExitCode::from(2)
        }
    }
}

async fn send(args: &SendArgs<'_>) -> Result<(Session, Run), String> {
    let requests = args
        .events
        .iter()
        .map(|arg| {
            let text = crate::input::load(arg)?;
            entry::parse(arg, &text).map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<Request>, String>>()?;
    let session = Session::start(args.deploy).await?;
    crate::findings::warn(&session.template);
    let template = Arc::clone(&session.template);
    let stack = Arc::clone(&session.stack);
    let bus = template
        .custom_bus(&args.bus)
        .ok_or_else(|| format!("no Custom Event Bus {:?} in the template", args.bus))?;
    let bus = BusIdentity::of(bus, &stack).map_err(|e| e.to_string())?;
    let subscribers: Vec<&Subscriber> = template.subscribers_on_bus(&bus.logical_id).collect();
    // Every filter is checked, and every target function started, before anything is
    // published: a bad filter or a missing bootstrap stops the run with nothing sent.
    let mut prepared = Vec::new();
    for subscriber in &subscribers {
        let filter = SubscriberFilter::new(subscriber).map_err(|e| e.to_string())?;
        let process = match &subscriber.target {
            Destination::Function(function) => {
                let emulator = Arc::clone(&session.emulator);
                let (template, stack, function) =
                    (Arc::clone(&template), Arc::clone(&stack), function.clone());
                Some(
                    tokio::task::spawn_blocking(move || {
                        emulator.process(&template, &stack, &function)
                    })
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| e.to_string())?,
                )
            }
            _ => None,
        };
        let arn = subscriber_arn(subscriber, &stack).map_err(|e| e.to_string())?;
        prepared.push((*subscriber, filter, process, arn));
    }

    let started = Instant::now();
    let now = || chrono::Utc::now().timestamp_millis();
    let mut store = BusStore::open(args.state_dir, &bus, now()).map_err(|e| e.to_string())?;
    let retained: Vec<StoredEvent> = store.events().to_vec();
    let mut published = Vec::new();
    for request in &requests {
        for entry in &request.entries {
            published.push(
                store
                    .publish(
                        entry,
                        request.content_based,
                        stack.region(),
                        stack.account(),
                        now(),
                    )
                    .map_err(|e: V2Error| e.to_string())?,
            );
        }
    }
    let live: Vec<Candidate> = published
        .iter()
        .filter(|p| p.code == SuccessCode::Published)
        .map(|p| Candidate {
            event: p.event.clone(),
            delivery: DeliveryType::Live,
        })
        .collect();

    let context = Context {
        template: Arc::clone(&template),
        stack: Arc::clone(&stack),
        sqs: aws_sdk_sqs::Client::new(&session.config),
        started,
    };
    let mut batches = Vec::new();
    for (subscriber, filter, process, subscriber_arn) in prepared {
        let candidates = candidates(subscriber, &retained, &live);
        let events = deliver::matching(&filter, &candidates);
        let target = Target {
            bus: &bus,
            subscriber_arn,
            process,
        };
        batches.extend(deliver::deliver(&context, subscriber, &target, events).await);
    }
    Ok((
        session,
        Run {
            bus,
            published,
            batches,
            started,
        },
    ))
}

/// The events a subscriber is offered: this run's (`LIVE`), preceded for a `POINT_IN_TIME`
/// subscriber by the retained ones from its starting point (`REPLAY`).
fn candidates(
    subscriber: &Subscriber,
    retained: &[StoredEvent],
    live: &[Candidate],
) -> Vec<Candidate> {
    match subscriber.starting_position {
        StartingPosition::Latest => live.to_vec(),
        StartingPosition::PointInTime { from, until } => {
            let within = |event: &StoredEvent| {
                from.is_none_or(|from| event.ingested_at_ms >= from.saturating_mul(1000))
                    && until.is_none_or(|until| event.ingested_at_ms <= until.saturating_mul(1000))
            };
            retained
                .iter()
                .filter(|e| within(e))
                .map(|event| Candidate {
                    event: event.clone(),
                    delivery: DeliveryType::Replay,
                })
                .chain(live.iter().filter(|c| within(&c.event)).cloned())
                .collect()
        }
    }
}

fn json_report(session: &Session, run: &Run) -> Value {
    let published: Vec<Value> = run
        .published
        .iter()
        .map(|p| {
            json!({
                "EventId": p.event.event_id,
                "SequenceNumber": p.event.sequence_number,
                "SuccessCode": p.code.as_str(),
                "EventGroupId": p.event.event_group_id(),
                "DeduplicationId": p.event.deduplication_id(),
                "Source": p.event.data.get("source"),
                "DetailType": p.event.data.get("detail-type"),
            })
        })
        .collect();
    let deliveries: Vec<Value> = run
        .batches
        .iter()
        .map(|b| {
            let r = &b.report;
            json!({
                "Subscriber": b.subscriber,
                "Function": b.function,
                "Events": b.events.iter().map(|c| json!({
                    "EventId": c.event.event_id,
                    "SequenceNumber": c.event.sequence_number,
                    "EventGroupId": c.event.event_group_id(),
                    "DeliveryType": c.delivery.as_str(),
                })).collect::<Vec<_>>(),
                "Payload": b.payload,
                "Attempts": r.attempts,
                "Outcome": r.outcome.as_str(),
                "ExhaustedRetryCondition": b.exhausted,
                "SentTo": r.sent_to.as_ref().map(|(queue, id)| json!({"Queue": queue, "MessageId": id})),
                "FailureRecord": b.failure_record,
                "Error": r.error,
                "Response": r.response,
                "DurationMs": millis(r.duration),
                "Logs": r.logs,
            })
        })
        .collect();
    json!({
        "Stack": session.stack.name(),
        "Endpoint": session.endpoint,
        "Bus": run.bus.name,
        "BusArn": run.bus.arn,
        "Published": published,
        "Deliveries": deliveries,
        "ElapsedMs": millis(run.started.elapsed()),
    })
}

fn table_report(session: &Session, run: &Run) {
    crate::output::line(format_args!("localbus: {}", session.describe()));
    crate::output::line(format_args!(
        "\nCustom Event Bus {} ({}): {} entr{} put",
        run.bus.name,
        run.bus.arn,
        run.published.len(),
        if run.published.len() == 1 { "y" } else { "ies" }
    ));
    for p in &run.published {
        crate::output::line(format_args!(
            "  {} {} seq {} group {}",
            p.code.as_str(),
            p.event.event_id,
            p.event.sequence_number,
            p.event.event_group_id().unwrap_or("-")
        ));
    }
    for b in &run.batches {
        let r = &b.report;
        let events: Vec<String> = b
            .events
            .iter()
            .map(|c| format!("{} ({})", c.event.event_id, c.delivery.as_str()))
            .collect();
        crate::output::line(format_args!(
            "\n{} -> {}: batch of {}: {} after {} attempt{}{}{}",
            b.subscriber,
            b.function.as_deref().unwrap_or("-"),
            b.events.len(),
            r.outcome.as_str(),
            r.attempts,
            if r.attempts == 1 { "" } else { "s" },
            b.exhausted
                .map(|c| format!(", retries exhausted ({c})"))
                .unwrap_or_default(),
            r.sent_to
                .as_ref()
                .map(|(queue, _)| format!(", failure record sent to {queue}"))
                .unwrap_or_default(),
        ));
        crate::output::line(format_args!("    events: {}", events.join(", ")));
        report_details(r);
    }
    if run.batches.is_empty() {
        crate::output::line("\nno subscriber received an event");
    }
}

//! `localbus send`: put events on a bus of the template and deliver them to the real function
//! binaries, as EventBridge, Lambda and SQS would (see [`crate::deliver`]), then report per
//! target: attempts, outcome, duration and the function's logs.
//!
//! All events are put first; then every function works through its deliveries (one invocation
//! at a time per function, functions in parallel) and every queue is drained in batches.
//! `--one-at-a-time` finishes each event's deliveries before the next event is put.

mod report;

use report::{json_report, table_report};
pub(crate) use report::{millis, report_details};

use crate::deliver::{self, Context, Outcome, Report};
use crate::findings::IgnoredBatchItemFailures;
use crate::route::{ENVELOPE_FIELDS, RouteMatch, route_matches};
use crate::session::{DeployArgs, Session};
use crate::stack::Stack;
use sam_template::Delivery;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Arguments of `send`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// An event: JSON text, file://PATH, or file://DIR for every *.json file in it (repeatable).
    /// Every put is a new event with a new id, as PutEvents makes it: the file's `id` is
    /// replaced (see --keep-ids), so sending a file twice gives two events that only a
    /// business key (`dedup_key`) recognises as the same. The file's `time` is kept (PutEvents'
    /// optional `Time`), else it is the time of the put; missing account, region, version and
    /// resources are filled in. On a Custom Event Bus (AWS::EventsV2): a PutEvents request
    /// (`Entries`, `DeduplicationConfiguration`), one entry (`Source`, `DetailType`, `Detail`,
    /// `SystemMetadata`) or a Classic event.
    #[arg(long = "event", value_name = "JSON|file://PATH", required = true)]
    events: Vec<String>,
    /// Keep each event's own `id` (a new one only when it has none): replays the same event,
    /// as EventBridge's at-least-once delivery may hand a target the same event again.
    #[arg(long)]
    keep_ids: bool,
    /// The bus: a logical id or name in the template (a Classic bus or a Custom Event Bus);
    /// the default bus when omitted.
    #[arg(long, value_name = "NAME")]
    event_bus_name: Option<String>,
    /// Finish each event's deliveries before putting the next one.
    #[arg(long)]
    one_at_a_time: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = crate::route::Output::Table)]
    output: crate::route::Output,
    /// Where a Custom Event Bus keeps its events between runs (retention, replays and
    /// de-duplication): `<DIR>/<bus name>/events.jsonl`.
    #[arg(long, value_name = "DIR", default_value = ".localbus")]
    state_dir: std::path::PathBuf,
    #[command(flatten)]
    deploy: DeployArgs,
}

/// Where a delivery's report goes: (event index, delivery index).
type Slot = (usize, usize);

/// One delivery of one event.
#[derive(Debug)]
struct Delivered {
    route: RouteMatch,
    function: Option<String>,
    report: Report,
}

/// One event's deliveries.
#[derive(Debug)]
struct Sent {
    event: Value,
    /// When the event was put, counted from the start of the run.
    put_at: Duration,
    deliveries: Vec<Delivered>,
}

impl Sent {
    /// From the put to the end of the event's last delivery.
    fn done_after(&self) -> Duration {
        self.deliveries
            .iter()
            .map(|d| d.report.finished)
            .max()
            .unwrap_or_default()
            .saturating_sub(self.put_at)
    }
}

/// Runs `send`: exit 0 when every delivery succeeded, 1 when one did not (see the report), 2
/// when nothing could be sent.
pub(crate) fn run(args: &Args) -> ExitCode {
    // A Custom Event Bus (AWS::EventsV2) has its own publishing and delivery rules.
    if let Some(bus) = custom_bus(args) {
        return crate::v2::send::run(&crate::v2::send::SendArgs {
            bus,
            events: &args.events,
            output: args.output,
            state_dir: &args.state_dir,
            deploy: &args.deploy,
        });
    }
    match crate::block_on::block_on(send(args)).and_then(|result| result) {
        Ok((session, sent, elapsed)) => {
            let ok = sent.iter().all(|s| {
                s.deliveries
                    .iter()
                    .all(|d| d.report.outcome == Outcome::Succeeded)
            });
            match args.output {
                crate::route::Output::Json => crate::output::line(
                    serde_json::to_string_pretty(&json_report(&session, &sent, elapsed))
                        .unwrap_or_default(),
                ),
                crate::route::Output::Table => table_report(&session, &sent, elapsed),
            }
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(message) => fail(message),
    }
}

/// The logical id of the Custom Event Bus `--event-bus-name` names, if it names one.
fn custom_bus(args: &Args) -> Option<String> {
    let name = args.event_bus_name.as_deref()?;
    let template = sam_template::Template::from_path(&args.deploy.template).ok()?;
    let stack = Stack::new(
        &template,
        &args.deploy.stack_name,
        "us-east-1",
        crate::stack::LOCAL_ACCOUNT,
        "http://localhost",
        &args.deploy.parameter_overrides,
    )
    .ok()?;
    crate::v2::custom_bus_named(&template, &stack, name).map(|bus| bus.logical_id.clone())
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("localbus send: {message}");
    ExitCode::from(2)
}

async fn send(args: &Args) -> Result<(Session, Vec<Sent>, Duration), String> {
    let events = load_events(&args.events)?;
    let session = Session::start(&args.deploy).await?;
    crate::findings::warn(&session.template);
    let bus = session
        .stack
        .bus_logical_id(&session.template, args.event_bus_name.as_deref())?;
    let mut routed = Vec::with_capacity(events.len());
    for event in events {
        let event = put(event, &session.stack, args.keep_ids);
        let matches = route_matches(&session.template, &bus, &event)?;
        routed.push((event, matches));
    }
    // Start every reached function's emulator now: a missing bootstrap stops the run before
    // anything is sent.
    for (_, matches) in &routed {
        for route in matches {
            for (function, _) in &route.reached {
                let emulator = Arc::clone(&session.emulator);
                let (template, stack, function) = (
                    Arc::clone(&session.template),
                    Arc::clone(&session.stack),
                    function.clone(),
                );
                tokio::task::spawn_blocking(move || emulator.process(&template, &stack, &function))
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    let context = Context {
        template: Arc::clone(&session.template),
        stack: Arc::clone(&session.stack),
        sqs: aws_sdk_sqs::Client::new(&session.config),
        started: Instant::now(),
    };
    let mut sent = Vec::new();
    if args.one_at_a_time {
        for event in routed {
            sent.extend(deliver_all(&session, &context, vec![event]).await?);
        }
    } else {
        sent = deliver_all(&session, &context, routed).await?;
    }
    let elapsed = sent
        .iter()
        .flat_map(|s| &s.deliveries)
        .map(|d| d.report.finished)
        .max()
        .unwrap_or_default();
    Ok((session, sent, elapsed))
}

/// Delivers a group of routed events: queue messages first, then every function's
/// asynchronous invocations and every queue's batches, in parallel.
async fn deliver_all(
    session: &Session,
    context: &Context,
    routed: Vec<(Value, Vec<RouteMatch>)>,
) -> Result<Vec<Sent>, String> {
    // (event index, delivery index) of every delivery, and the work to do.
    let mut sent: Vec<Sent> = Vec::new();
    let mut lambda_jobs: BTreeMap<String, Vec<(Slot, Value)>> = BTreeMap::new();
    let mut messages: BTreeMap<String, Vec<Slot>> = BTreeMap::new();
    let mut queues: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (event_index, (event, matches)) in routed.into_iter().enumerate() {
        let put_at = context.started.elapsed();
        let mut deliveries = Vec::new();
        for route in matches {
            if route.reached.is_empty() {
                let report = Report::not_delivered(format!(
                    "target {} ({:?}) reaches no function of the template; localbus does not deliver to it",
                    route.target_id, route.destination
                ));
                deliveries.push(Delivered {
                    route,
                    function: None,
                    report,
                });
                continue;
            }
            if let Some(queue) = route.queue().map(str::to_owned) {
                let body = match &route.input {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                };
                let consumers: Vec<String> = route.reached.iter().map(|(f, _)| f.clone()).collect();
                let index = (event_index, deliveries.len());
                let report = match deliver::send_message(context, &queue, &body, Some(&route.rule))
                    .await
                {
                    Ok(message_id) => {
                        messages.entry(message_id).or_default().push(index);
                        queues.insert(queue, consumers.clone());
                        Report::not_delivered("the queue was not drained")
                    }
                    Err(error) => Report::not_delivered(format!("SendMessage to {queue}: {error}")),
                };
                deliveries.push(Delivered {
                    function: Some(consumers.join(", ")),
                    route,
                    report,
                });
                continue;
            }
            for (function, delivery) in route.reached.clone() {
                if delivery == Delivery::Lambda {
                    lambda_jobs
                        .entry(function.clone())
                        .or_default()
                        .push(((event_index, deliveries.len()), route.input.clone()));
                }
                deliveries.push(Delivered {
                    route: route.clone(),
                    function: Some(function),
                    report: Report::not_delivered("not invoked"),
                });
            }
        }
        sent.push(Sent {
            event,
            put_at,
            deliveries,
        });
    }

    let mut tasks = tokio::task::JoinSet::new();
    for (function, jobs) in lambda_jobs {
        let process = session
            .emulator
            .process(&session.template, &session.stack, &function)
            .map_err(|e| e.to_string())?;
        let context = context.clone();
        tasks.spawn(async move {
            let mut results = Vec::new();
            for (index, payload) in jobs {
                let report = deliver::invoke_async(&context, &process, &payload).await;
                results.push((index, report));
            }
            results
        });
    }
    for (queue, consumers) in queues {
        let processes = consumers
            .iter()
            .map(|f| {
                session
                    .emulator
                    .process(&session.template, &session.stack, f)
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        let ignored = IgnoredBatchItemFailures::of(&session.template, &queue, &consumers);
        let context = context.clone();
        let messages = messages.clone();
        tasks.spawn(async move {
            let reports = deliver::drain(&context, &queue, &processes).await;
            let mut results = Vec::new();
            for (message_id, mut report) in reports {
                ignored.mark_lost(&message_id, &mut report);
                if report.outcome == Outcome::Failed {
                    report.error.get_or_insert_with(|| {
                        format!("{queue} has no redrive policy: the message is back in the queue after its visibility timeout")
                    });
                }
                for index in messages.get(&message_id).into_iter().flatten() {
                    results.push((*index, report.clone()));
                }
            }
            results
        });
    }
    while let Some(done) = tasks.join_next().await {
        let results = done.map_err(|e| format!("a delivery task failed: {e}"))?;
        for ((event_index, delivery_index), report) in results {
            if let Some(slot) = sent
                .get_mut(event_index)
                .and_then(|s| s.deliveries.get_mut(delivery_index))
            {
                slot.report = report;
            }
        }
    }
    Ok(sent)
}

/// Reads every `--event`: text, a file, or every `*.json` file of a directory (in name order).
/// A directory's files that are not events (an SQS batch, say) are skipped with a note; a
/// named file or text that is not an event is an error.
fn load_events(args: &[String]) -> Result<Vec<Value>, String> {
    let mut events = Vec::new();
    for arg in args {
        match arg.strip_prefix("file://") {
            Some(path) if Path::new(path).is_dir() => {
                let mut files: Vec<_> = std::fs::read_dir(path)
                    .map_err(|e| format!("cannot read {path}: {e}"))?
                    .flatten()
                    .map(|entry| entry.path())
                    .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "json"))
                    .collect();
                files.sort();
                for file in files {
                    let name = file.display().to_string();
                    let text = std::fs::read_to_string(&file)
                        .map_err(|e| format!("cannot read {name}: {e}"))?;
                    match parse_event(&name, &text) {
                        Ok(event) => events.push(event),
                        Err(reason) => eprintln!("localbus send: skipped {reason}"),
                    }
                }
            }
            _ => events.push(parse_event(arg, &crate::input::load(arg)?)?),
        }
    }
    if events.is_empty() {
        return Err("no events to send".into());
    }
    Ok(events)
}

/// An event as PutEvents takes it: JSON with at least `source`, `detail-type` and `detail`.
fn parse_event(name: &str, text: &str) -> Result<Value, String> {
    let event: Value =
        serde_json::from_str(text).map_err(|e| format!("{name}: not a JSON event: {e}"))?;
    for field in ["source", "detail-type", "detail"] {
        if event.get(field).is_none() {
            return Err(format!(
                "{name}: not an EventBridge event: PutEvents rejects an entry without {field:?}"
            ));
        }
    }
    Ok(event)
}

/// The event EventBridge makes of a PutEvents entry: a new `id` (PutEvents has no field for
/// one; with `keep_ids` the event's own is kept, a replay of the same event), the entry's
/// `time` or the time of the put, and the other envelope fields when missing.
fn put(mut event: Value, stack: &Stack, keep_ids: bool) -> Value {
    if let Value::Object(map) = &mut event {
        if !keep_ids {
            map.insert("id".to_owned(), json!(deliver::request_id()));
        }
        let defaults = [
            ("version", json!("0")),
            ("id", json!(deliver::request_id())),
            (
                "time",
                json!(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            ),
            ("account", json!(crate::stack::LOCAL_ACCOUNT)),
            ("region", json!(stack.region())),
            ("resources", json!([])),
        ];
        for (key, value) in defaults {
            map.entry(key).or_insert(value);
        }
    }
    debug_assert!(ENVELOPE_FIELDS.iter().all(|f| event.get(f).is_some()));
    event
}

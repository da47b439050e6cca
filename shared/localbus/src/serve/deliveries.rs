//! serve's deliveries: every accepted event is routed through its bus's rules and delivered in
//! the background with exactly `send`'s rules ([`crate::deliver`]): asynchronous Lambda
//! invocations with their retries and on-failure destination, SQS messages drained in batches by
//! the queue's consumers with partial failures and the redrive policy. Each function works
//! through its own deliveries one at a time (one emulator per function, as one Lambda execution
//! environment); each queue has one drainer, woken when a message arrives.
//!
//! Every delivery ends in one line on stdout (a table row, or a JSON line with `--output json`),
//! and [`Deliveries::pending`] counts those not ended yet, so nothing is in flight unseen. The
//! Custom Event Bus's deliveries ([`super::custom_bus`]) are counted here too
//! ([`Deliveries::begin`], [`Deliveries::end`]), so stopping serve waits for them as well.

use super::registry::{Bus, rules_on};
use crate::deliver::{self, Context, Outcome, Report};
use crate::emulator::{Emulator, FunctionProcess};
use crate::findings::IgnoredBatchItemFailures;
use crate::route::{RouteMatch, route_through};
use crate::stack::Stack;
use sam_template::{Delivery, Template};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;
use tokio::sync::{Notify, mpsc};

/// How each delivery is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Output {
    /// One readable line per delivery (the function's logs under a failed one).
    Table,
    /// One JSON object per line, for scripts.
    Json,
}

/// What a delivery carries, for its report line.
#[derive(Debug, Clone)]
struct Label {
    event_id: String,
    source: String,
    detail_type: String,
    bus: String,
    rule: String,
    target: String,
    queue: Option<String>,
    function: Option<String>,
    put_at: Instant,
}

/// One asynchronous invocation to make.
#[derive(Debug)]
struct Job {
    label: Label,
    payload: Value,
}

/// A queue target's message, waiting for its feeder.
#[derive(Debug)]
struct Message {
    label: Label,
    body: String,
    /// The FIFO message group (the rule).
    group: String,
}

/// A queue's drainer: woken when a message is sent to the queue.
#[derive(Debug)]
struct Drainer {
    wake: Notify,
}

/// The background deliveries of one serve run.
#[derive(Debug, Clone)]
pub(crate) struct Deliveries {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    context: Context,
    emulator: Arc<Emulator>,
    output: Output,
    functions: Mutex<BTreeMap<String, mpsc::UnboundedSender<Job>>>,
    feeders: Mutex<BTreeMap<String, mpsc::UnboundedSender<Message>>>,
    drainers: Mutex<BTreeMap<String, Arc<Drainer>>>,
    /// The message id of every queue delivery not reported yet.
    messages: Mutex<BTreeMap<String, Label>>,
    pending: AtomicUsize,
    idle: Notify,
}

impl Deliveries {
    /// Deliveries against the deployed template.
    pub(crate) fn new(
        template: Arc<Template>,
        stack: Arc<Stack>,
        sqs: aws_sdk_sqs::Client,
        emulator: Arc<Emulator>,
        output: Output,
    ) -> Deliveries {
        Deliveries {
            inner: Arc::new(Inner {
                context: Context {
                    template,
                    stack,
                    sqs,
                    started: Instant::now(),
                },
                emulator,
                output,
                functions: Mutex::new(BTreeMap::new()),
                feeders: Mutex::new(BTreeMap::new()),
                drainers: Mutex::new(BTreeMap::new()),
                messages: Mutex::new(BTreeMap::new()),
                pending: AtomicUsize::new(0),
                idle: Notify::new(),
            }),
        }
    }

    /// Deliveries accepted and not reported yet.
    pub(crate) fn pending(&self) -> usize {
        self.inner.pending.load(Ordering::SeqCst)
    }

    /// Counts `count` deliveries started elsewhere (the Custom Event Bus's, one per event and
    /// subscriber), so the stop logic waits for them too; each ends with [`Deliveries::end`].
    pub(crate) fn begin(&self, count: usize) {
        self.inner.pending.fetch_add(count, Ordering::SeqCst);
    }

    /// Counts `count` deliveries counted by [`Deliveries::begin`] as ended (reported).
    pub(crate) fn end(&self, count: usize) {
        if count > 0 && self.inner.pending.fetch_sub(count, Ordering::SeqCst) == count {
            self.inner.idle.notify_waiters();
        }
    }

    /// How deliveries are reported.
    pub(crate) fn output(&self) -> Output {
        self.inner.output
    }

    /// Waits until no delivery is pending.
    pub(crate) async fn idle(&self) {
        loop {
            let notified = self.inner.idle.notified();
            if self.pending() == 0 {
                return;
            }
            notified.await;
        }
    }

    /// Routes `event` (a complete EventBridge event) on `bus` and starts its deliveries.
    ///
    /// # Errors
    /// When the bus's rules cannot be evaluated (an invalid pattern or transformer); the
    /// caller has not accepted the event then.
    pub(crate) fn route(&self, bus: &Bus, event: &Value) -> Result<Vec<RouteMatch>, String> {
        let context = &self.inner.context;
        route_through(
            &context.template,
            rules_on(&context.template, &context.stack, bus),
            &bus.name,
            event,
        )
    }

    /// Starts the deliveries of one routed event: returns at once (the queue messages, too, are
    /// sent in the background, in order per queue), each delivery reports when it ends.
    pub(crate) fn start(&self, bus: &Bus, event: &Value, matches: Vec<RouteMatch>) {
        let text = |key: &str| {
            event
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let put_at = Instant::now();
        for route in matches {
            let label = Label {
                event_id: text("id"),
                source: text("source"),
                detail_type: text("detail-type"),
                bus: bus.name.clone(),
                rule: route.rule.clone(),
                target: route.target_id.clone(),
                queue: route.queue().map(str::to_owned),
                function: None,
                put_at,
            };
            if route.reached.is_empty() {
                self.report(
                    &label,
                    &Report::not_delivered(format!(
                        "target {} ({:?}) reaches no function of the template; localbus does not deliver to it",
                        route.target_id, route.destination
                    )),
                );
                continue;
            }
            let consumers: Vec<String> = route.reached.iter().map(|(f, _)| f.clone()).collect();
            if let Some(queue) = route.queue() {
                let body = match &route.input {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                };
                let message = Message {
                    label: Label {
                        function: Some(consumers.join(", ")),
                        ..label
                    },
                    body,
                    group: route.rule.clone(),
                };
                self.enqueue(queue, &consumers, message);
                continue;
            }
            for (function, delivery) in &route.reached {
                if *delivery != Delivery::Lambda {
                    continue;
                }
                let label = Label {
                    function: Some(function.clone()),
                    ..label.clone()
                };
                self.invoke(function, label, route.input.clone());
            }
        }
    }

    /// Hands a queue target's message to the queue's feeder, which sends the queue's messages in
    /// order and wakes its drainer.
    fn enqueue(&self, queue: &str, consumers: &[String], message: Message) {
        self.inner.pending.fetch_add(1, Ordering::SeqCst);
        let mut feeders = lock(&self.inner.feeders);
        let sender = feeders.entry(queue.to_owned()).or_insert_with(|| {
            let (sender, mut messages) = mpsc::unbounded_channel::<Message>();
            let this = self.clone();
            let drainer = self.drainer(queue, consumers);
            let queue = queue.to_owned();
            tokio::spawn(async move {
                while let Some(message) = messages.recv().await {
                    let sent = deliver::send_message(
                        &this.inner.context,
                        &queue,
                        &message.body,
                        Some(&message.group),
                    )
                    .await;
                    match sent {
                        Ok(message_id) => {
                            lock(&this.inner.messages).insert(message_id, message.label);
                            drainer.wake.notify_one();
                        }
                        Err(error) => this.done(
                            &message.label,
                            &Report::not_delivered(format!("SendMessage to {queue}: {error}")),
                        ),
                    }
                }
            });
            sender
        });
        if let Err(mpsc::error::SendError(message)) = sender.send(message) {
            self.done(
                &message.label,
                &Report::not_delivered("the queue's feeder stopped"),
            );
        }
    }

    /// The drainer of `queue`, started on first use.
    fn drainer(&self, queue: &str, consumers: &[String]) -> Arc<Drainer> {
        let mut drainers = lock(&self.inner.drainers);
        if let Some(drainer) = drainers.get(queue) {
            return Arc::clone(drainer);
        }
        let drainer = Arc::new(Drainer {
            wake: Notify::new(),
        });
        drainers.insert(queue.to_owned(), Arc::clone(&drainer));
        let this = self.clone();
        let (queue, consumers) = (queue.to_owned(), consumers.to_vec());
        let woken = Arc::clone(&drainer);
        tokio::spawn(async move {
            loop {
                woken.wake.notified().await;
                this.drain(&queue, &consumers).await;
            }
        });
        drainer
    }

    /// Drains `queue` through its consumers; reports every message of ours.
    async fn drain(&self, queue: &str, consumers: &[String]) {
        let inner = &self.inner;
        let mut processes = Vec::new();
        for function in consumers {
            match self.process(function).await {
                Ok(process) => processes.push(process),
                Err(error) => {
                    // Every message of ours in this queue is reported as not delivered (it
                    // stays in the queue, where the next drain finds it again).
                    let waiting: Vec<Label> = {
                        let mut messages = lock(&inner.messages);
                        let ids: Vec<String> = messages
                            .iter()
                            .filter(|(_, label)| label.queue.as_deref() == Some(queue))
                            .map(|(id, _)| id.clone())
                            .collect();
                        ids.iter().filter_map(|id| messages.remove(id)).collect()
                    };
                    for label in &waiting {
                        self.done(
                            label,
                            &Report::not_delivered(format!(
                                "{error}; the message stays in {queue}"
                            )),
                        );
                    }
                    return;
                }
            }
        }
        let ignored = IgnoredBatchItemFailures::of(&inner.context.template, queue, consumers);
        let reports = deliver::drain(&inner.context, queue, &processes).await;
        for (message_id, mut report) in reports {
            ignored.mark_lost(&message_id, &mut report);
            if report.outcome == Outcome::Failed {
                report.error.get_or_insert_with(|| {
                    format!("{queue} has no redrive policy: the message is back in the queue after its visibility timeout")
                });
            }
            let label = lock(&inner.messages).remove(&message_id);
            match label {
                Some(label) => self.done(&label, &report),
                // A message someone else sent to the queue: reported, never counted.
                None if !message_id.is_empty() => self.report(
                    &Label {
                        event_id: message_id.clone(),
                        source: String::new(),
                        detail_type: String::new(),
                        bus: String::new(),
                        rule: String::new(),
                        target: String::new(),
                        queue: Some(queue.to_owned()),
                        function: Some(consumers.join(", ")),
                        put_at: Instant::now(),
                    },
                    &report,
                ),
                None => {}
            }
        }
    }

    /// Queues an asynchronous invocation of `function`.
    fn invoke(&self, function: &str, label: Label, payload: Value) {
        self.inner.pending.fetch_add(1, Ordering::SeqCst);
        let mut functions = lock(&self.inner.functions);
        let sender = functions.entry(function.to_owned()).or_insert_with(|| {
            let (sender, receiver) = mpsc::unbounded_channel();
            let this = self.clone();
            let function = function.to_owned();
            tokio::spawn(async move { this.work(&function, receiver).await });
            sender
        });
        if let Err(mpsc::error::SendError(job)) = sender.send(Job { label, payload }) {
            self.done(
                &job.label,
                &Report::not_delivered("the function's worker stopped"),
            );
        }
    }

    /// A function's worker: its invocations, one at a time.
    async fn work(&self, function: &str, mut jobs: mpsc::UnboundedReceiver<Job>) {
        while let Some(job) = jobs.recv().await {
            let report = match self.process(function).await {
                Ok(process) => {
                    deliver::invoke_async(&self.inner.context, &process, &job.payload).await
                }
                Err(error) => Report::not_delivered(error),
            };
            self.done(&job.label, &report);
        }
    }

    /// The function's running process (started, or restarted after its bootstrap changed, by
    /// the emulator).
    pub(crate) async fn process(&self, function: &str) -> Result<Arc<FunctionProcess>, String> {
        let emulator = Arc::clone(&self.inner.emulator);
        let (template, stack) = (
            Arc::clone(&self.inner.context.template),
            Arc::clone(&self.inner.context.stack),
        );
        let function = function.to_owned();
        tokio::task::spawn_blocking(move || emulator.process(&template, &stack, &function))
            .await
            .map_err(|error| format!("starting the function failed: {error}"))?
            .map_err(|error| error.to_string())
    }

    /// Reports a delivery that ended and counts it done.
    fn done(&self, label: &Label, report: &Report) {
        self.report(label, report);
        self.end(1);
    }

    /// The delivery's line on stdout.
    fn report(&self, label: &Label, report: &Report) {
        let millis = |d: std::time::Duration| (d.as_secs_f64() * 1e4).round() / 10.0;
        let put_to_done = millis(label.put_at.elapsed());
        match self.inner.output {
            Output::Json => crate::output::line(json!({
                "EventId": label.event_id,
                "Source": label.source,
                "DetailType": label.detail_type,
                "Bus": label.bus,
                "Rule": label.rule,
                "Target": label.target,
                "Queue": label.queue,
                "Function": label.function,
                "Outcome": report.outcome.as_str(),
                "Attempts": report.attempts,
                "SentTo": report.sent_to.as_ref().map(|(queue, id)| json!({"Queue": queue, "MessageId": id})),
                "Error": report.error,
                "DurationMs": millis(report.duration),
                "PutToDoneMs": put_to_done,
                "Response": report.response,
                "Logs": report.logs,
            })),
            Output::Table => {
                let path = match &label.queue {
                    Some(queue) => format!(
                        "{} -> {queue} -> {}",
                        label.rule,
                        label.function.as_deref().unwrap_or("-")
                    ),
                    None => format!(
                        "{} -> {}",
                        label.rule,
                        label.function.as_deref().unwrap_or("-")
                    ),
                };
                let sent_to = report
                    .sent_to
                    .as_ref()
                    .map(|(queue, _)| format!(", then sent to {queue}"))
                    .unwrap_or_default();
                crate::output::line(format_args!(
                    "event {} ({} / {}) on {}: {path}: {}{sent_to} after {} attempt{} ({} ms after the put)",
                    label.event_id,
                    label.source,
                    label.detail_type,
                    label.bus,
                    report.outcome.as_str(),
                    report.attempts,
                    if report.attempts == 1 { "" } else { "s" },
                    put_to_done
                ));
                if let Some(error) = &report.error {
                    crate::output::line(format_args!("    ! {error}"));
                }
                if report.outcome != Outcome::Succeeded {
                    for log in &report.logs {
                        crate::output::line(format_args!("    | {log}"));
                    }
                }
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

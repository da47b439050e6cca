//! Per-invocation metrics in CloudWatch Embedded Metric Format (EMF).
//!
//! With [`Metrics`] set on the [`Dispatcher`](crate::Dispatcher), every invocation writes one
//! JSON line from which CloudWatch Logs extracts metrics, with no API call and no added latency:
//!
//! | Metric | Unit | Value |
//! |---|---|---|
//! | `EventsHandled` | `Count` | events whose handler ran and succeeded |
//! | `DuplicatesSkipped` | `Count` | duplicate deliveries skipped without running the handler |
//! | `EventsFailed` | `Count` | events that failed, whatever the reason |
//! | `EventsFailed.<errorType>` | `Count` | events that failed with that [`EventError::error_type`](crate::EventError::error_type), e.g. `EventsFailed.EventDecodeError` or `EventsFailed.StockError`; only kinds that occurred |
//! | `HandlerDuration` | `Milliseconds` | the time of every handler call (one value per event whose handler ran, an array for an SQS batch); absent when no handler ran |
//!
//! An SQS batch is one invocation: its records are added up in one line. The three counts are
//! always written (zeros included), so sums and alarms see every invocation. The dimension is
//! `service`; the line also carries `requestId` and, when Lambda traces the invocation,
//! `xrayTraceId` (not dimensions: Logs Insights can filter metric lines by them).
//!
//! [`Metrics::from_env`] reads the settings of Powertools for AWS Lambda's metrics utility:
//! `POWERTOOLS_METRICS_NAMESPACE` (no namespace: no metrics), `POWERTOOLS_SERVICE_NAME` (else the
//! function name), `POWERTOOLS_METRICS_DISABLED=true` (off).

use crate::EventError;
use crate::dispatch::Outcome;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

/// The EMF limit on the values of one metric in one line; a batch with more handler calls writes
/// the further durations on further lines.
const MAX_VALUES_PER_METRIC: usize = 100;

/// The `service` dimension's value when neither `POWERTOOLS_SERVICE_NAME` nor
/// `AWS_LAMBDA_FUNCTION_NAME` is set (Powertools' default).
const SERVICE_UNDEFINED: &str = "service_undefined";

/// Where and under which namespace and service the metric lines go.
///
/// ```
/// use eventbridge_lambda::metrics::Metrics;
/// let metrics = Metrics::new("Shop", "inventory", std::io::stdout());
/// assert_eq!((metrics.namespace(), metrics.service()), ("Shop", "inventory"));
/// ```
pub struct Metrics {
    namespace: String,
    service: String,
    writer: Mutex<Box<dyn Write + Send>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("namespace", &self.namespace)
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

impl Metrics {
    /// Metrics in `namespace` with the `service` dimension, one line at a time to `writer`
    /// (`std::io::stdout()` in Lambda, where CloudWatch Logs picks them up).
    pub fn new(
        namespace: impl Into<String>,
        service: impl Into<String>,
        writer: impl Write + Send + 'static,
    ) -> Self {
        Self {
            namespace: namespace.into(),
            service: service.into(),
            writer: Mutex::new(Box::new(writer)),
        }
    }

    /// Metrics to stdout as configured by the environment: [`Metrics::configured`] with
    /// `std::env::var`. Called once at cold start.
    pub fn from_env() -> Option<Self> {
        Self::configured(|name| std::env::var(name).ok(), std::io::stdout())
    }

    /// Metrics to `writer` as configured by the settings `setting` returns (Powertools' variable
    /// names), or `None` (metrics off) when `POWERTOOLS_METRICS_NAMESPACE` is missing or empty, or
    /// `POWERTOOLS_METRICS_DISABLED` is `true`. The `service` dimension is
    /// `POWERTOOLS_SERVICE_NAME`, else `AWS_LAMBDA_FUNCTION_NAME`, else `service_undefined`.
    ///
    /// ```
    /// use eventbridge_lambda::metrics::Metrics;
    /// let settings = |name: &str| match name {
    ///     "POWERTOOLS_METRICS_NAMESPACE" => Some("Shop".to_owned()),
    ///     "AWS_LAMBDA_FUNCTION_NAME" => Some("inventory-prod".to_owned()),
    ///     _ => None,
    /// };
    /// let metrics = Metrics::configured(settings, std::io::sink()).unwrap();
    /// assert_eq!((metrics.namespace(), metrics.service()), ("Shop", "inventory-prod"));
    /// assert!(Metrics::configured(|_| None, std::io::sink()).is_none());
    /// ```
    pub fn configured(
        setting: impl Fn(&str) -> Option<String>,
        writer: impl Write + Send + 'static,
    ) -> Option<Self> {
        let non_empty = |name: &str| setting(name).filter(|value| !value.is_empty());
        if non_empty("POWERTOOLS_METRICS_DISABLED")
            .is_some_and(|value| value.eq_ignore_ascii_case("true"))
        {
            return None;
        }
        let namespace = non_empty("POWERTOOLS_METRICS_NAMESPACE")?;
        let service = non_empty("POWERTOOLS_SERVICE_NAME")
            .or_else(|| non_empty("AWS_LAMBDA_FUNCTION_NAME"))
            .unwrap_or_else(|| SERVICE_UNDEFINED.to_owned());
        Some(Self::new(namespace, service, writer))
    }

    /// The CloudWatch namespace.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The value of the `service` dimension.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// Writes the lines of one invocation. A line that cannot be written is logged and dropped:
    /// metrics never fail an invocation.
    pub(crate) fn emit(&self, tally: &Tally) {
        let Some(counting) = &tally.0 else { return };
        let counts = std::mem::take(
            &mut *counting
                .counts
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        let mut text = Vec::with_capacity(512);
        let timestamp_ms = chrono::Utc::now().timestamp_millis();
        for line in self.lines(&counts, &counting.invocation, timestamp_ms) {
            // Serializing a `Value` to a Vec cannot fail.
            if serde_json::to_writer(&mut text, &line).is_ok() {
                text.push(b'\n');
            }
        }
        let mut writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        if let Err(error) = writer.write_all(&text).and_then(|()| writer.flush()) {
            tracing::warn!(error = %error, "metrics could not be written");
        }
    }

    /// The EMF documents of one invocation: one, plus one per further 100 handler durations.
    fn lines(&self, counts: &Counts, invocation: &InvocationIds, timestamp_ms: i64) -> Vec<Value> {
        let mut durations = counts.handler_ms.chunks(MAX_VALUES_PER_METRIC);
        let mut first = vec![
            ("EventsHandled", "Count", json!(counts.handled)),
            ("DuplicatesSkipped", "Count", json!(counts.duplicates)),
            (
                "EventsFailed",
                "Count",
                json!(counts.failures.values().sum::<u64>()),
            ),
        ];
        let by_kind: Vec<(String, u64)> = counts
            .failures
            .iter()
            .map(|(kind, count)| (format!("EventsFailed.{kind}"), *count))
            .collect();
        first.extend(
            by_kind
                .iter()
                .map(|(name, count)| (name.as_str(), "Count", json!(count))),
        );
        if let Some(chunk) = durations.next() {
            first.push(("HandlerDuration", "Milliseconds", duration_value(chunk)));
        }
        let mut lines = vec![self.document(&first, invocation, timestamp_ms)];
        for chunk in durations {
            let metric = [("HandlerDuration", "Milliseconds", duration_value(chunk))];
            lines.push(self.document(&metric, invocation, timestamp_ms));
        }
        lines
    }

    /// One EMF document: the `_aws` metadata naming every metric, then the `service` dimension,
    /// the metric values and the invocation's ids as top-level members.
    fn document(
        &self,
        metrics: &[(&str, &str, Value)],
        invocation: &InvocationIds,
        timestamp_ms: i64,
    ) -> Value {
        let definitions: Vec<Value> = metrics
            .iter()
            .map(|(name, unit, _)| json!({ "Name": name, "Unit": unit }))
            .collect();
        let mut document = Map::new();
        document.insert(
            "_aws".to_owned(),
            json!({
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": self.namespace,
                    "Dimensions": [["service"]],
                    "Metrics": definitions,
                }],
            }),
        );
        document.insert("service".to_owned(), json!(self.service));
        for (name, _, value) in metrics {
            document.insert((*name).to_owned(), value.clone());
        }
        document.insert("requestId".to_owned(), json!(invocation.request_id));
        if let Some(trace_id) = &invocation.xray_trace_id {
            document.insert("xrayTraceId".to_owned(), json!(trace_id));
        }
        Value::Object(document)
    }
}

/// One value as a number, several as an array (EMF accepts both).
fn duration_value(durations: &[f64]) -> Value {
    match durations {
        [one] => json!(one),
        many => json!(many),
    }
}

/// The ids of an invocation that a metric line carries.
#[derive(Debug)]
struct InvocationIds {
    request_id: String,
    xray_trace_id: Option<String>,
}

/// What one invocation did, counted by the dispatcher as its events finish. A tally that is off
/// (metrics not configured) counts nothing, reads no clock and allocates nothing; one that counts
/// is one pointer in the invocation's future.
#[derive(Debug, Default)]
pub(crate) struct Tally(Option<Box<Counting>>);

#[derive(Debug)]
struct Counting {
    invocation: InvocationIds,
    counts: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    handled: u64,
    duplicates: u64,
    failures: BTreeMap<&'static str, u64>,
    handler_ms: Vec<f64>,
}

impl Tally {
    /// A tally of the invocation of `ctx` when `on`, else one that counts nothing.
    pub(crate) fn new(on: bool, ctx: &crate::Context) -> Self {
        Self(on.then(|| {
            Box::new(Counting {
                invocation: InvocationIds {
                    request_id: ctx.request_id.clone(),
                    xray_trace_id: ctx.xray_trace_id.clone(),
                },
                counts: Mutex::default(),
            })
        }))
    }

    fn update(&self, change: impl FnOnce(&mut Counts)) {
        if let Some(counting) = &self.0 {
            change(
                &mut counting
                    .counts
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner),
            );
        }
    }

    /// Counts the result of one event.
    pub(crate) fn event(&self, result: &Result<Outcome, EventError>) {
        match result {
            Ok(Outcome::Handled(_)) => self.update(|counts| counts.handled += 1),
            Ok(Outcome::Duplicate(_)) => self.update(|counts| counts.duplicates += 1),
            Err(error) => self.failed(error, 1),
        }
    }

    /// Counts `events` events failed with `error`.
    pub(crate) fn failed(&self, error: &EventError, events: usize) {
        let events = u64::try_from(events).unwrap_or(u64::MAX);
        self.update(|counts| *counts.failures.entry(error.error_type()).or_default() += events);
    }

    /// The start of a handler call, when counting (a tally that is off does not read the clock).
    pub(crate) fn handler_starts(&self) -> Option<Instant> {
        self.0.as_ref().map(|_| Instant::now())
    }

    /// Records the duration of the handler call that began at `started`.
    pub(crate) fn handler_ran(&self, started: Option<Instant>) {
        if let Some(started) = started {
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            self.update(|counts| counts.handler_ms.push(ms));
        }
    }
}

//! Structured logs with `tracing`.
//!
//! [`init`] installs one global subscriber, once per execution environment (cold start):
//!
//! * level from `AWS_LAMBDA_LOG_LEVEL` (Lambda's advanced logging controls), else `RUST_LOG`,
//!   else `INFO`;
//! * with `AWS_LAMBDA_LOG_FORMAT=JSON`, one flat JSON object per line ([`JsonLayer`]): `timestamp`,
//!   `level`, `target`, `message`, the event's fields and the fields of every open span, all at the
//!   top level, so that CloudWatch Logs Insights filters on them directly
//!   (`filter event_id = "…"`); compact text otherwise (CloudWatch adds the timestamp).
//!
//! Inside a handler every line carries the runtime's `requestId` (and `xrayTraceId` when Lambda
//! traces the invocation) and the dispatcher's `event_id`, `source` and `detail_type` span
//! fields, whatever the level: spans at `INFO` and above stay enabled when the level is `WARN` or
//! `ERROR`, so that the lines that are written still name their invocation and event. Never log a
//! full customer e-mail address: use [`EmailAddress`](crate::EmailAddress), whose
//! `Debug`/`Display` are masked.

use chrono::{SecondsFormat, Utc};
use serde::Serializer as _;
use serde::ser::SerializeMap;
use serde_json::{Number, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Filter, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Registry};

/// Installs the global subscriber. Returns `false` (and changes nothing) when one is already set,
/// so calling it twice never panics.
///
/// ```
/// let first = eventbridge_lambda::logging::init();
/// assert!(!eventbridge_lambda::logging::init(), "second call is a no-op");
/// # let _ = first;
/// ```
pub fn init() -> bool {
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT")
        .is_ok_and(|format| format.eq_ignore_ascii_case("json"));
    if json {
        json_subscriber(filter_from_env(), std::io::stdout)
            .try_init()
            .is_ok()
    } else {
        let filter = SpansStayEnabled(filter_from_env());
        let text = tracing_subscriber::fmt::layer()
            .with_target(false)
            .with_ansi(false)
            .without_time();
        tracing_subscriber::registry()
            .with(text.with_filter(filter))
            .try_init()
            .is_ok()
    }
}

fn filter_from_env() -> EnvFilter {
    let directive = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".to_owned());
    EnvFilter::try_new(directive.to_lowercase()).unwrap_or_else(|_| EnvFilter::new("info"))
}

/// The level filter of [`init`]: events as the [`EnvFilter`] says; spans at `INFO` and above
/// always, so that a `WARN` or `ERROR` line inside a handler still carries the request and event
/// fields of its spans. (`DEBUG` and `TRACE` spans, such as the AWS SDK's, follow the filter.)
struct SpansStayEnabled(EnvFilter);

impl SpansStayEnabled {
    fn always(metadata: &Metadata<'_>) -> bool {
        metadata.is_span() && *metadata.level() <= Level::INFO
    }
}

impl<S> Filter<S> for SpansStayEnabled
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn enabled(&self, metadata: &Metadata<'_>, cx: &Context<'_, S>) -> bool {
        Self::always(metadata) || Filter::enabled(&self.0, metadata, cx)
    }

    fn callsite_enabled(&self, metadata: &'static Metadata<'static>) -> Interest {
        if Self::always(metadata) {
            Interest::always()
        } else {
            Filter::<S>::callsite_enabled(&self.0, metadata)
        }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Filter::<S>::max_level_hint(&self.0).map(|hint| hint.max(LevelFilter::INFO))
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, cx: Context<'_, S>) {
        Filter::on_new_span(&self.0, attrs, id, cx);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, cx: Context<'_, S>) {
        Filter::on_record(&self.0, id, values, cx);
    }

    fn on_enter(&self, id: &Id, cx: Context<'_, S>) {
        Filter::on_enter(&self.0, id, cx);
    }

    fn on_exit(&self, id: &Id, cx: Context<'_, S>) {
        Filter::on_exit(&self.0, id, cx);
    }

    fn on_close(&self, id: Id, cx: Context<'_, S>) {
        Filter::on_close(&self.0, id, cx);
    }
}

/// A `tracing` layer that writes one flat JSON object per event, one per line:
///
/// ```json
/// {"timestamp":"2026-11-30T10:00:00.123Z","level":"INFO","target":"inventory","message":"stock reserved",
///  "requestId":"8f5c…","xrayTraceId":"Root=1-…","event_id":"6a7e…","source":"com.ecommerce.orders",
///  "detail_type":"OrderCreated","units":3}
/// ```
///
/// `timestamp` (UTC, milliseconds), `level`, `target` and `message` come first; then the fields
/// of every span in scope and of the event itself, at the top level. On a name clash the inner
/// span wins over the outer one and the event over its spans; a field named `timestamp`, `level`
/// or `target` is left out (those three keys always mean what they say). Text values stay
/// strings, integers, floats and booleans stay JSON numbers and booleans, and `%value` /
/// `?value` fields are their `Display` / `Debug` text.
///
/// The writer is chosen at construction: [`init`] passes `std::io::stdout`; anything implementing
/// [`MakeWriter`] works, such as a buffer.
///
/// ```
/// use eventbridge_lambda::logging::JsonLayer;
/// use std::sync::{Arc, Mutex};
/// use tracing_subscriber::layer::SubscriberExt;
///
/// #[derive(Clone, Default)]
/// struct Buffer(Arc<Mutex<Vec<u8>>>);
/// impl std::io::Write for Buffer {
///     fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
///         self.0.lock().unwrap().write(bytes)
///     }
///     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
/// }
///
/// let buffer = Buffer::default();
/// let writer = buffer.clone();
/// let subscriber = tracing_subscriber::registry().with(JsonLayer::new(move || writer.clone()));
/// tracing::subscriber::with_default(subscriber, || {
///     let _span = tracing::info_span!("event", event_id = "e-1").entered();
///     tracing::info!(units = 3, "stock reserved");
/// });
/// let line: serde_json::Value = serde_json::from_slice(&buffer.0.lock().unwrap()).unwrap();
/// assert_eq!(line["event_id"], "e-1");
/// assert_eq!(line["units"], 3);
/// assert_eq!(line["message"], "stock reserved");
/// ```
pub struct JsonLayer<W> {
    make_writer: W,
}

impl<W> JsonLayer<W>
where
    W: for<'w> MakeWriter<'w> + 'static,
{
    /// A layer writing every line to a writer made by `make_writer`.
    pub fn new(make_writer: W) -> Self {
        Self { make_writer }
    }
}

/// The fields of one span, kept in its extensions from its creation on.
struct SpanFields(Fields);

/// Field values by name, as JSON.
#[derive(Default)]
struct Fields(BTreeMap<&'static str, Value>);

impl Fields {
    fn insert(&mut self, field: &Field, value: Value) {
        self.0.insert(field.name(), value);
    }
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.insert(field, Value::String(value.to_owned()));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.insert(field, Value::Bool(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.insert(field, Value::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.insert(field, Value::from(value));
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        let value =
            i64::try_from(value).map_or_else(|_| Value::String(value.to_string()), Value::from);
        self.insert(field, value);
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        let value =
            u64::try_from(value).map_or_else(|_| Value::String(value.to_string()), Value::from);
        self.insert(field, value);
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        // JSON has no NaN or infinity: those are written as text.
        let value =
            Number::from_f64(value).map_or_else(|| Value::String(value.to_string()), Value::Number);
        self.insert(field, value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.insert(field, Value::String(format!("{value:?}")));
    }
}

/// The keys every line starts with; fields of the same name are left out.
const FIXED_KEYS: [&str; 3] = ["timestamp", "level", "target"];

impl<S, W> Layer<S> for JsonLayer<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + 'static,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, cx: Context<'_, S>) {
        let Some(span) = cx.span(id) else { return };
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        span.extensions_mut().insert(SpanFields(fields));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, cx: Context<'_, S>) {
        let Some(span) = cx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(SpanFields(fields)) = extensions.get_mut::<SpanFields>() {
            values.record(fields);
        }
    }

    fn on_event(&self, event: &Event<'_>, cx: Context<'_, S>) {
        let mut fields = Fields::default();
        // Outermost span first, so that inner spans, then the event, overwrite on a clash.
        if let Some(scope) = cx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(SpanFields(span_fields)) = span.extensions().get::<SpanFields>() {
                    fields.0.extend(
                        span_fields
                            .0
                            .iter()
                            .map(|(name, value)| (*name, value.clone())),
                    );
                }
            }
        }
        event.record(&mut fields);
        let metadata = event.metadata();
        let Ok(mut line) = json_line(metadata, &fields) else {
            return;
        };
        line.push(b'\n');
        // One write per line, so that concurrent lines never interleave. A line that cannot be
        // written has nowhere else to go: the logger cannot log its own failure.
        let _ = self.make_writer.make_writer_for(metadata).write_all(&line);
    }
}

/// Serializes one line: the fixed keys, the message, then every other field by name.
fn json_line(metadata: &Metadata<'_>, fields: &Fields) -> Result<Vec<u8>, serde_json::Error> {
    let mut line = Vec::with_capacity(256);
    let mut serializer = serde_json::Serializer::new(&mut line);
    let mut map = serializer.serialize_map(None)?;
    map.serialize_entry(
        "timestamp",
        &Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
    )?;
    map.serialize_entry("level", metadata.level().as_str())?;
    map.serialize_entry("target", metadata.target())?;
    if let Some(message) = fields.0.get("message") {
        map.serialize_entry("message", message)?;
    }
    for (name, value) in &fields.0 {
        if *name != "message" && !FIXED_KEYS.contains(name) {
            map.serialize_entry(name, value)?;
        }
    }
    map.end()?;
    Ok(line)
}

/// The subscriber [`init`] installs in JSON mode, with `filter` as its level filter and
/// `make_writer` as its output; for running code under the JSON log format in-process.
///
/// ```
/// use tracing_subscriber::EnvFilter;
/// let subscriber = eventbridge_lambda::logging::json_subscriber(EnvFilter::new("warn"), std::io::sink);
/// tracing::subscriber::with_default(subscriber, || tracing::warn!("written to the sink"));
/// ```
pub fn json_subscriber<W>(filter: EnvFilter, make_writer: W) -> impl Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    Registry::default().with(JsonLayer::new(make_writer).with_filter(SpansStayEnabled(filter)))
}

//! CloudWatch Embedded Metric Format lines: the dispatcher runs in-process with its metrics
//! written to a buffer, and every line is parsed and checked against the EMF structure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use eventbridge_lambda::dispatch::EventHandler;
use eventbridge_lambda::metrics::Metrics;
use eventbridge_lambda::{Context, Dispatcher, Event, OrderCreated};
use eventbridge_lambda_testing::JsonLines;
use serde_json::{Map, Value, json};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
#[error("out of stock for {0}")]
struct StockError(String);

const HANDLER_PAUSE: Duration = Duration::from_millis(20);

/// Pauses `HANDLER_PAUSE`, then fails for order ids starting with `fail`.
async fn handler(event: Event<OrderCreated>, _ctx: Context) -> Result<String, StockError> {
    tokio::time::sleep(HANDLER_PAUSE).await;
    if event.detail.order_id.starts_with("fail") {
        return Err(StockError(event.detail.order_id));
    }
    Ok(event.detail.order_id)
}

fn order_event(id: &str, order_id: &str) -> String {
    json!({
        "version": "0", "id": id, "detail-type": "OrderCreated", "source": "com.ecommerce.orders",
        "account": "123456789012", "time": "2023-10-27T10:00:00Z", "region": "us-east-1", "resources": [],
        "detail": {"order_id": order_id, "customer_email": "customer@example.com",
                   "items": [{"sku": "ABC", "quantity": 2}], "timestamp": "2023-10-27T10:00:00Z"}
    })
    .to_string()
}

fn sqs_batch(bodies: &[String]) -> Vec<u8> {
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| json!({"messageId": format!("m-{i}"), "body": body, "eventSource": "aws:sqs"}))
        .collect();
    serde_json::to_vec(&json!({ "Records": records })).unwrap()
}

fn context(request_id: &str, trace_id: Option<&str>) -> Context {
    let mut ctx = Context::default();
    ctx.request_id = request_id.to_owned();
    ctx.xray_trace_id = trace_id.map(str::to_owned);
    ctx
}

struct Harness<H> {
    dispatcher: Dispatcher<OrderCreated, H>,
    buffer: JsonLines,
    runtime: tokio::runtime::Runtime,
}

fn harness() -> Harness<impl EventHandler<OrderCreated>> {
    let buffer = JsonLines::default();
    let metrics = Metrics::new("Shop", "inventory", buffer.clone());
    Harness {
        dispatcher: Dispatcher::new(handler).with_metrics(Some(metrics)),
        buffer,
        runtime: tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap(),
    }
}

impl<H: EventHandler<OrderCreated>> Harness<H> {
    /// Invokes once and returns the invocation's metric lines.
    fn invoke(&self, payload: &[u8], ctx: Context) -> Vec<Map<String, Value>> {
        let _ = self.runtime.block_on(self.dispatcher.invoke(payload, ctx));
        self.buffer.take()
    }
}

/// Checks the EMF structure of `line` and returns its metrics as name -> (unit, value).
fn emf_metrics(line: &Map<String, Value>) -> Map<String, Value> {
    let aws = line["_aws"].as_object().unwrap();
    let timestamp = aws["Timestamp"]
        .as_i64()
        .expect("Timestamp in epoch milliseconds");
    assert!((chrono::Utc::now().timestamp_millis() - timestamp).abs() < 60_000);
    let directives = aws["CloudWatchMetrics"].as_array().unwrap();
    assert_eq!(directives.len(), 1);
    let directive = directives[0].as_object().unwrap();
    assert_eq!(directive["Namespace"], "Shop");
    assert_eq!(directive["Dimensions"], json!([["service"]]));
    assert_eq!(
        line["service"], "inventory",
        "the dimension's value is a top-level member"
    );
    let mut metrics = Map::new();
    for definition in directive["Metrics"].as_array().unwrap() {
        let name = definition["Name"].as_str().unwrap();
        let value = &line[name];
        assert!(
            value.is_number()
                || value
                    .as_array()
                    .is_some_and(|values| values.iter().all(Value::is_number)),
            "{name} has a number or an array of numbers: {value}"
        );
        metrics.insert(name.to_owned(), json!([definition["Unit"], value]));
    }
    metrics
}

fn count(metrics: &Map<String, Value>, name: &str) -> u64 {
    assert_eq!(metrics[name][0], "Count", "{name}'s unit");
    metrics[name][1].as_u64().unwrap()
}

/// The handler durations of `metrics`, in milliseconds.
fn durations(metrics: &Map<String, Value>) -> Vec<f64> {
    let Some(metric) = metrics.get("HandlerDuration") else {
        return Vec::new();
    };
    assert_eq!(metric[0], "Milliseconds");
    match &metric[1] {
        Value::Array(values) => values.iter().map(|value| value.as_f64().unwrap()).collect(),
        value => vec![value.as_f64().unwrap()],
    }
}

#[test]
fn a_handled_event_writes_one_line_with_counts_duration_and_ids() {
    let harness = harness();
    let trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1";
    let lines = harness.invoke(
        order_event("e-1", "o-1").as_bytes(),
        context("req-1", Some(trace)),
    );

    assert_eq!(lines.len(), 1, "one line per invocation");
    let metrics = emf_metrics(&lines[0]);
    assert_eq!(count(&metrics, "EventsHandled"), 1);
    assert_eq!(count(&metrics, "DuplicatesSkipped"), 0);
    assert_eq!(count(&metrics, "EventsFailed"), 0);
    let mut names: Vec<&String> = metrics.keys().collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "DuplicatesSkipped",
            "EventsFailed",
            "EventsHandled",
            "HandlerDuration"
        ]
    );
    let duration = durations(&metrics);
    assert_eq!(duration.len(), 1);
    assert!(
        duration[0] >= HANDLER_PAUSE.as_secs_f64() * 1000.0,
        "covers the handler: {duration:?}"
    );
    assert_eq!(lines[0]["requestId"], "req-1");
    assert_eq!(lines[0]["xrayTraceId"], trace);
}

#[test]
fn a_duplicate_is_counted_without_a_handler_duration() {
    let harness = harness();
    let payload = order_event("e-1", "o-1");
    harness.invoke(payload.as_bytes(), context("req-1", None));
    let lines = harness.invoke(payload.as_bytes(), context("req-2", None));

    assert_eq!(lines.len(), 1);
    let metrics = emf_metrics(&lines[0]);
    assert_eq!(count(&metrics, "EventsHandled"), 0);
    assert_eq!(count(&metrics, "DuplicatesSkipped"), 1);
    assert_eq!(count(&metrics, "EventsFailed"), 0);
    assert!(!metrics.contains_key("HandlerDuration"));
    assert!(
        !lines[0].contains_key("HandlerDuration"),
        "no value without a definition"
    );
    assert!(
        !lines[0].contains_key("xrayTraceId"),
        "no trace id without one"
    );
    assert_eq!(lines[0]["requestId"], "req-2");
}

#[test]
fn failures_are_counted_by_their_error_type() {
    let harness = harness();
    let lines = harness.invoke(
        order_event("e-1", "fail-1").as_bytes(),
        context("req-1", None),
    );
    let metrics = emf_metrics(&lines[0]);
    assert_eq!(count(&metrics, "EventsHandled"), 0);
    assert_eq!(count(&metrics, "EventsFailed"), 1);
    assert_eq!(count(&metrics, "EventsFailed.StockError"), 1);
    assert_eq!(durations(&metrics).len(), 1, "the failing handler ran");

    let lines = harness.invoke(br#"{"id": "e-2", "source": "x"}"#, context("req-2", None));
    let metrics = emf_metrics(&lines[0]);
    assert_eq!(count(&metrics, "EventsFailed"), 1);
    assert_eq!(count(&metrics, "EventsFailed.EventDecodeError"), 1);
    assert!(
        !metrics.contains_key("EventsFailed.StockError"),
        "only kinds that occurred"
    );
    assert!(durations(&metrics).is_empty(), "no handler ran");
}

#[test]
fn an_sqs_batch_adds_its_records_up_in_one_line() {
    let harness = harness();
    let payload = sqs_batch(&[
        order_event("e-1", "o-1"),
        order_event("e-1", "o-1"),
        order_event("e-2", "fail-2"),
        "not json".to_owned(),
        order_event("e-3", "o-3"),
    ]);
    let lines = harness.invoke(&payload, context("req-1", None));

    assert_eq!(lines.len(), 1, "{lines:?}");
    let metrics = emf_metrics(&lines[0]);
    assert_eq!(count(&metrics, "EventsHandled"), 2);
    assert_eq!(count(&metrics, "DuplicatesSkipped"), 1);
    assert_eq!(count(&metrics, "EventsFailed"), 2);
    assert_eq!(count(&metrics, "EventsFailed.StockError"), 1);
    assert_eq!(count(&metrics, "EventsFailed.EventDecodeError"), 1);
    assert_eq!(
        durations(&metrics).len(),
        3,
        "o-1, fail-2 and o-3 ran the handler"
    );
    assert!(lines[0]["HandlerDuration"].is_array());
}

#[test]
fn a_batch_without_message_ids_counts_every_record_as_failed() {
    let harness = harness();
    let payload = serde_json::to_vec(&json!({"Records": [
        {"messageId": "m-0", "body": order_event("e-1", "o-1")},
        {"body": order_event("e-2", "o-2")},
    ]}))
    .unwrap();
    let metrics = emf_metrics(&harness.invoke(&payload, context("req-1", None))[0]);
    assert_eq!(count(&metrics, "EventsFailed"), 2);
    assert_eq!(count(&metrics, "EventsFailed.SqsRecordWithoutId"), 2);
    assert_eq!(count(&metrics, "EventsHandled"), 0);
}

#[test]
fn more_than_100_handler_durations_continue_on_further_lines() {
    let harness = harness();
    let bodies: Vec<String> = (0..130)
        .map(|i| order_event(&format!("e-{i}"), &format!("o-{i}")))
        .collect();
    let lines = harness.invoke(&sqs_batch(&bodies), context("req-1", None));

    assert_eq!(lines.len(), 2, "EMF allows 100 values per metric and line");
    let first = emf_metrics(&lines[0]);
    assert_eq!(count(&first, "EventsHandled"), 130);
    assert_eq!(durations(&first).len(), 100);
    let second = emf_metrics(&lines[1]);
    assert_eq!(second.keys().collect::<Vec<_>>(), ["HandlerDuration"]);
    assert_eq!(durations(&second).len(), 30);
    assert_eq!(lines[1]["requestId"], "req-1");
}

#[test]
fn metrics_are_off_without_a_namespace() {
    let buffer = JsonLines::default();
    let settings = |name: &str| (name == "POWERTOOLS_SERVICE_NAME").then(|| "inventory".to_owned());
    let metrics = Metrics::configured(settings, buffer.clone());
    assert!(metrics.is_none());
    let dispatcher = Dispatcher::new(handler).with_metrics(metrics);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    runtime
        .block_on(dispatcher.invoke(order_event("e-1", "o-1").as_bytes(), context("req-1", None)))
        .unwrap();
    assert!(buffer.take().is_empty(), "nothing written");

    let empty = |name: &str| (name == "POWERTOOLS_METRICS_NAMESPACE").then(String::new);
    assert!(
        Metrics::configured(empty, std::io::sink()).is_none(),
        "an empty namespace is none"
    );
    let disabled = |name: &str| match name {
        "POWERTOOLS_METRICS_NAMESPACE" => Some("Shop".to_owned()),
        "POWERTOOLS_METRICS_DISABLED" => Some("true".to_owned()),
        _ => None,
    };
    assert!(Metrics::configured(disabled, std::io::sink()).is_none());
}

#[test]
fn namespace_and_service_come_from_powertools_settings() {
    let settings = |name: &str| match name {
        "POWERTOOLS_METRICS_NAMESPACE" => Some("Shop".to_owned()),
        "POWERTOOLS_SERVICE_NAME" => Some("inventory".to_owned()),
        "AWS_LAMBDA_FUNCTION_NAME" => Some("inventory-prod".to_owned()),
        _ => None,
    };
    let metrics = Metrics::configured(settings, std::io::sink()).unwrap();
    assert_eq!(
        (metrics.namespace(), metrics.service()),
        ("Shop", "inventory")
    );
    let namespace_only =
        |name: &str| (name == "POWERTOOLS_METRICS_NAMESPACE").then(|| "Shop".to_owned());
    let metrics = Metrics::configured(namespace_only, std::io::sink()).unwrap();
    assert_eq!(metrics.service(), "service_undefined");
}

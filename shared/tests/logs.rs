//! JSON logs (`AWS_LAMBDA_LOG_FORMAT=JSON`): the dispatcher runs in-process under the JSON
//! subscriber and lambda_runtime's own invocation span, and every written line is parsed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use eventbridge_lambda::logging::{JsonLayer, json_subscriber};
use eventbridge_lambda::{Context, Dispatcher, Event, OrderCreated};
use eventbridge_lambda_testing::JsonLines;
use serde_json::{Map, Value, json};
use tracing::Instrument;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;

/// The lines written, of which there must be some.
fn non_empty(lines: Vec<Map<String, Value>>) -> Vec<Map<String, Value>> {
    assert!(!lines.is_empty(), "nothing was written");
    lines
}

fn order_event(id: &str, order_id: &str) -> Value {
    json!({
        "version": "0", "id": id, "detail-type": "OrderCreated", "source": "com.ecommerce.orders",
        "account": "123456789012", "time": "2023-10-27T10:00:00Z", "region": "us-east-1", "resources": [],
        "detail": {"order_id": order_id, "customer_email": "customer@example.com",
                   "items": [{"sku": "ABC", "quantity": 2}], "timestamp": "2023-10-27T10:00:00Z"}
    })
}

/// A handler logging at INFO and WARN with typed fields, failing for order ids starting with `fail`.
async fn logging_handler(event: Event<OrderCreated>, _ctx: Context) -> Result<u32, String> {
    let units: u32 = event.detail.items.iter().map(|item| item.quantity).sum();
    tracing::info!(units, reserved = true, order_id = %event.detail.order_id, "stock reserved");
    tracing::warn!(ratio = 0.5, "stock running low");
    if event.detail.order_id.starts_with("fail") {
        return Err(format!("cannot reserve {}", event.detail.order_id));
    }
    Ok(units)
}

fn context(request_id: &str, trace_id: Option<&str>) -> Context {
    let mut ctx = Context::default();
    ctx.request_id = request_id.to_owned();
    ctx.xray_trace_id = trace_id.map(str::to_owned);
    ctx
}

/// Runs `payloads` through one dispatcher, each in lambda_runtime's invocation span (as the
/// runtime does), under the JSON subscriber with `level`; returns every line written.
fn run(level: &str, payloads: &[(Vec<u8>, Context)]) -> Vec<Map<String, Value>> {
    let buffer = JsonLines::default();
    let writer = buffer.clone();
    let subscriber = json_subscriber(EnvFilter::new(level), move || writer.clone());
    let dispatcher = Dispatcher::new(logging_handler);
    tracing::subscriber::with_default(subscriber, || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        for (payload, ctx) in payloads {
            let span = lambda_runtime::layers::trace::request_span(ctx);
            let _ = runtime.block_on(dispatcher.invoke(payload, ctx.clone()).instrument(span));
        }
    });
    non_empty(buffer.take())
}

fn text(line: &Map<String, Value>, key: &str) -> String {
    match line.get(key) {
        Some(Value::String(value)) => value.clone(),
        other => panic!("{key} is not a string in {line:?}: {other:?}"),
    }
}

fn with_message<'a>(lines: &'a [Map<String, Value>], message: &str) -> Vec<&'a Map<String, Value>> {
    lines
        .iter()
        .filter(|line| line.get("message").and_then(Value::as_str) == Some(message))
        .collect()
}

#[test]
fn every_line_of_a_direct_event_carries_the_invocation_and_event_at_the_top_level() {
    let payload = serde_json::to_vec(&order_event("e-1", "o-1")).unwrap();
    let trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    let lines = run("info", &[(payload, context("req-1", Some(trace)))]);

    assert_eq!(lines.len(), 2, "{lines:?}");
    for line in &lines {
        assert_eq!(text(line, "requestId"), "req-1");
        assert_eq!(text(line, "xrayTraceId"), trace);
        assert_eq!(text(line, "event_id"), "e-1");
        assert_eq!(text(line, "source"), "com.ecommerce.orders");
        assert_eq!(text(line, "detail_type"), "OrderCreated");
        assert_eq!(text(line, "target"), "logs");
        assert!(
            !line.contains_key("spans") && !line.contains_key("span"),
            "{line:?}"
        );
        let timestamp = chrono::DateTime::parse_from_rfc3339(&text(line, "timestamp")).unwrap();
        assert!(
            (chrono::Utc::now() - timestamp.to_utc())
                .num_seconds()
                .abs()
                < 60
        );
    }
    let reserved = with_message(&lines, "stock reserved")[0];
    assert_eq!(text(reserved, "level"), "INFO");
    assert_eq!(reserved["units"], json!(2), "integers stay numbers");
    assert_eq!(reserved["reserved"], json!(true), "booleans stay booleans");
    assert_eq!(
        text(reserved, "order_id"),
        "o-1",
        "Display fields are their text"
    );
    let low = with_message(&lines, "stock running low")[0];
    assert_eq!(text(low, "level"), "WARN");
    assert_eq!(low["ratio"], json!(0.5));
}

#[test]
fn duplicates_failures_and_missing_trace_ids_are_logged_the_same_way() {
    let ok = serde_json::to_vec(&order_event("e-1", "o-1")).unwrap();
    let failing = serde_json::to_vec(&order_event("e-2", "fail-2")).unwrap();
    let lines = run(
        "info",
        &[
            (ok.clone(), context("req-1", None)),
            (ok, context("req-2", None)),
            (failing, context("req-3", None)),
        ],
    );

    assert!(
        lines.iter().all(|line| !line.contains_key("xrayTraceId")),
        "no trace id without one"
    );
    let duplicate = with_message(
        &lines,
        "duplicate delivery skipped: event already processed",
    );
    assert_eq!(duplicate.len(), 1, "{lines:?}");
    assert_eq!(text(duplicate[0], "requestId"), "req-2");
    assert_eq!(text(duplicate[0], "event_id"), "e-1");
    assert_eq!(text(duplicate[0], "dedup_key"), "e-1");

    let failed: Vec<_> = lines
        .iter()
        .filter(|line| text(line, "level") == "ERROR")
        .collect();
    assert_eq!(failed.len(), 1, "{lines:?}");
    assert_eq!(text(failed[0], "requestId"), "req-3");
    assert!(
        text(failed[0], "error").contains("cannot reserve fail-2"),
        "{:?}",
        failed[0]
    );
    assert!(text(failed[0], "message").starts_with("event failed"));
}

#[test]
fn sqs_records_carry_their_message_id_and_their_own_event() {
    let bodies = [order_event("e-1", "o-1"), order_event("e-2", "o-2")];
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| json!({"messageId": format!("m-{i}"), "body": body.to_string(), "eventSource": "aws:sqs"}))
        .collect();
    let payload = serde_json::to_vec(&json!({ "Records": records })).unwrap();
    let lines = run("info", &[(payload, context("req-1", None))]);

    let reserved = with_message(&lines, "stock reserved");
    assert_eq!(reserved.len(), 2, "{lines:?}");
    for (i, line) in reserved.iter().enumerate() {
        assert_eq!(text(line, "requestId"), "req-1");
        assert_eq!(text(line, "message_id"), format!("m-{i}"));
        assert_eq!(text(line, "event_id"), format!("e-{}", i + 1));
        assert_eq!(text(line, "detail_type"), "OrderCreated");
    }
}

#[test]
fn at_warn_level_info_lines_are_dropped_but_warnings_keep_their_span_fields() {
    let payload = serde_json::to_vec(&order_event("e-1", "o-1")).unwrap();
    let lines = run("warn", &[(payload, context("req-1", None))]);

    assert_eq!(lines.len(), 1, "only the warning: {lines:?}");
    assert_eq!(text(&lines[0], "message"), "stock running low");
    assert_eq!(text(&lines[0], "requestId"), "req-1");
    assert_eq!(text(&lines[0], "event_id"), "e-1");
    assert_eq!(text(&lines[0], "source"), "com.ecommerce.orders");
}

#[test]
fn inner_spans_win_over_outer_ones_and_the_event_over_its_spans() {
    let buffer = JsonLines::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::registry().with(JsonLayer::new(move || writer.clone()));
    tracing::subscriber::with_default(subscriber, || {
        let outer = tracing::info_span!(
            "outer",
            name = "outer",
            only_outer = 1,
            late = tracing::field::Empty
        );
        let _outer = outer.enter();
        outer.record("late", "recorded after creation");
        let _inner = tracing::info_span!("inner", name = "inner", kind = "span").entered();
        tracing::info!(kind = "event", level = "not the level", "clash");
    });
    let raw = buffer.text();
    assert_eq!(raw.matches("\"level\":").count(), 1, "{raw}");
    let lines = non_empty(buffer.take());
    assert_eq!(lines.len(), 1);
    let line = &lines[0];
    assert_eq!(text(line, "name"), "inner");
    assert_eq!(text(line, "kind"), "event");
    assert_eq!(line["only_outer"], json!(1));
    assert_eq!(text(line, "late"), "recorded after creation");
    assert_eq!(
        text(line, "level"),
        "INFO",
        "a field cannot replace the level"
    );
    let mut keys: Vec<&str> = line.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "kind",
            "late",
            "level",
            "message",
            "name",
            "only_outer",
            "target",
            "timestamp"
        ],
        "one member per name"
    );
}

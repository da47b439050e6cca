//! `send`'s report: a table for people, JSON for scripts.

use super::{Sent, Session};
use crate::deliver::Report;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

/// `duration` in milliseconds, to a tenth: how the reports give times.
pub(crate) fn millis(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1e4).round() / 10.0
}

/// Prints what a delivery's report holds below its summary line: the error, the last response
/// and the function's output, indented under that line.
pub(crate) fn report_details(r: &Report) {
    if let Some(error) = &r.error {
        crate::output::line(format_args!("    ! {error}"));
    }
    if let Some(response) = &r.response {
        crate::output::line(format_args!("    = {response}"));
    }
    for log in &r.logs {
        crate::output::line(format_args!("    | {log}"));
    }
}

pub(super) fn json_report(session: &Session, sent: &[Sent], elapsed: Duration) -> Value {
    let events: Vec<Value> = sent
        .iter()
        .map(|s| {
            let deliveries: Vec<Value> = s
                .deliveries
                .iter()
                .map(|d| {
                    let r = &d.report;
                    json!({
                        "Rule": d.route.rule,
                        "Target": d.route.target_id,
                        "Function": d.function,
                        "Delivery": d.route.delivery,
                        "Queue": d.route.queue(),
                        "Input": d.route.input,
                        "Attempts": r.attempts,
                        "Outcome": r.outcome.as_str(),
                        "SentTo": r.sent_to.as_ref().map(|(queue, id)| json!({"Queue": queue, "MessageId": id})),
                        "Error": r.error,
                        "DurationMs": millis(r.duration),
                        "FinishedAfterMs": millis(r.finished),
                        "Response": r.response,
                        "Logs": r.logs,
                    })
                })
                .collect();
            json!({
                "Id": s.event.get("id"),
                "PutAtMs": millis(s.put_at),
                "DoneAfterMs": millis(s.done_after()),
                "Source": s.event.get("source"),
                "DetailType": s.event.get("detail-type"),
                "Deliveries": deliveries,
            })
        })
        .collect();
    json!({
        "Stack": session.stack.name(),
        "Endpoint": session.endpoint,
        "Events": events,
        "ElapsedMs": millis(elapsed),
    })
}

pub(super) fn table_report(session: &Session, sent: &[Sent], elapsed: Duration) {
    crate::output::line(format_args!("localbus: {}", session.describe()));
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    for s in sent {
        let text = |key: &str| s.event.get(key).and_then(Value::as_str).unwrap_or("?");
        crate::output::line(format_args!(
            "\nevent {} ({} / {}): {} deliver{}, all done {} ms after the put",
            text("id"),
            text("source"),
            text("detail-type"),
            s.deliveries.len(),
            if s.deliveries.len() == 1 { "y" } else { "ies" },
            millis(s.done_after())
        ));
        for d in &s.deliveries {
            let r = &d.report;
            *counts.entry(r.outcome.as_str()).or_default() += 1;
            let path = match d.route.queue() {
                Some(queue) => format!(
                    "{} -> {queue} -> {}",
                    d.route.rule,
                    d.function.as_deref().unwrap_or("-")
                ),
                None => format!(
                    "{} -> {}",
                    d.route.rule,
                    d.function.as_deref().unwrap_or("-")
                ),
            };
            let duplicate = if d.route.queue().is_none()
                && r.logs
                    .iter()
                    .any(|l| l.contains("duplicate delivery skipped"))
            {
                " (a duplicate: skipped by the function's dedup)"
            } else {
                ""
            };
            let sent_to = r
                .sent_to
                .as_ref()
                .map(|(queue, _)| format!(", then sent to {queue}"))
                .unwrap_or_default();
            crate::output::line(format_args!(
                "  {path} ({}): {}{duplicate}{sent_to} after {} attempt{} ({} ms in the function, done at {} ms)",
                d.route.delivery,
                r.outcome.as_str(),
                r.attempts,
                if r.attempts == 1 { "" } else { "s" },
                millis(r.duration),
                millis(r.finished)
            ));
            report_details(r);
        }
    }
    let summary: Vec<String> = counts
        .iter()
        .map(|(outcome, n)| format!("{n} {outcome}"))
        .collect();
    crate::output::line(format_args!(
        "\n{} event(s), {}; the last function finished {} ms after the first event was put",
        sent.len(),
        if summary.is_empty() {
            "no deliveries".to_owned()
        } else {
            summary.join(", ")
        },
        millis(elapsed)
    ));
}

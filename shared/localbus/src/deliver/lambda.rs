//! A Lambda target: EventBridge invokes the function asynchronously; Lambda retries a failed
//! invocation (`EventInvokeConfig.MaximumRetryAttempts`), then sends its failure record to the
//! on-failure destination.

use super::{Context, Outcome, Report, invoke, request_id, send_message};
use crate::emulator::FunctionProcess;
use sam_template::Destination;
use serde_json::{Value, json};
use std::sync::Arc;

/// An asynchronous invocation of `process` with `payload`, with Lambda's retries and the
/// on-failure destination.
pub(crate) async fn invoke_async(
    context: &Context,
    process: &Arc<FunctionProcess>,
    payload: &Value,
) -> Report {
    let mut report = Report::new();
    let Some(function) = context.template.function(process.logical_id()) else {
        return Report::not_delivered(format!("no function {}", process.logical_id()));
    };
    let attempts = function.maximum_retry_attempts.unwrap_or(2).min(2) + 1;
    let bytes = payload.to_string().into_bytes();
    for _ in 0..attempts {
        match invoke(process, bytes.clone()).await {
            Ok(invocation) => {
                report.record(&invocation, context.started);
                if !invocation.failed {
                    report.outcome = Outcome::Succeeded;
                    return report;
                }
                report.outcome = Outcome::Failed;
            }
            Err(error) => {
                report.error = Some(error);
                return report;
            }
        }
    }
    match &function.on_failure {
        Some(Destination::Queue(queue)) => {
            let record = failure_record(context, function.logical_id.as_str(), &report, payload);
            match send_message(context, queue, &record.to_string(), None).await {
                Ok(message_id) => report.sent_to = Some((queue.clone(), message_id)),
                Err(error) => {
                    report.error = Some(format!("failure record not sent to {queue}: {error}"));
                }
            }
        }
        Some(other) => {
            report.error = Some(format!(
                "on-failure destination {other:?} is not emulated (only SQS queues); the failure record was dropped"
            ));
        }
        None => {
            report.error = Some(
                "no on-failure destination (EventInvokeConfig.DestinationConfig.OnFailure): Lambda discards the event"
                    .into(),
            );
        }
    }
    report
}

/// The record Lambda sends to an on-failure destination after the last attempt.
fn failure_record(context: &Context, function: &str, report: &Report, payload: &Value) -> Value {
    let arn = context.stack.arn(function).unwrap_or_default();
    json!({
        "version": "1.0",
        "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "requestContext": {
            "requestId": request_id(),
            "functionArn": format!("{arn}:$LATEST"),
            "condition": "RetriesExhausted",
            "approximateInvokeCount": report.attempts,
        },
        "requestPayload": payload,
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "responsePayload": report.response,
    })
}

//! An SQS target and the queue's consumers: messages, batches of `BatchSize`,
//! `ReportBatchItemFailures`, and the redrive policy's dead-letter queue.

use super::{Context, Outcome, Report, invoke, request_id};
use crate::emulator::{FunctionProcess, Invocation};
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry, Message,
    MessageSystemAttributeName,
};
use sam_template::{Destination, EventSource, Template};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Sends `body` to a template queue; returns the message id.
pub(crate) async fn send_message(
    context: &Context,
    queue: &str,
    body: &str,
    group: Option<&str>,
) -> Result<String, String> {
    let url = context
        .stack
        .queue_url(queue)
        .map_err(|error| error.to_string())?;
    let mut request = context.sqs.send_message().queue_url(url).message_body(body);
    if context.template.queue(queue).is_some_and(|q| q.fifo) {
        let group = group.unwrap_or("localbus");
        request = request
            .message_group_id(group)
            .message_deduplication_id(request_id());
    }
    let output = request
        .send()
        .await
        .map_err(|error| aws_sdk_sqs::error::DisplayErrorContext(error).to_string())?;
    Ok(output.message_id.unwrap_or_default())
}

/// Receives every message of `queue` and hands the batches to its consumers, until the queue
/// is empty; returns a report per message id.
pub(crate) async fn drain(
    context: &Context,
    queue: &str,
    consumers: &[Arc<FunctionProcess>],
) -> BTreeMap<String, Report> {
    let mut reports: BTreeMap<String, Report> = BTreeMap::new();
    let Some(first) = consumers.first() else {
        return reports;
    };
    let settings = consumer_settings(&context.template, queue, first.logical_id());
    let redrive = context
        .template
        .queue(queue)
        .and_then(|q| q.redrive.as_ref())
        .and_then(|r| match &r.dead_letter_queue {
            Destination::Queue(dlq) => Some(dlq.clone()),
            _ => None,
        });
    let url = match context.stack.queue_url(queue) {
        Ok(url) => url,
        Err(error) => {
            reports.insert(String::new(), Report::not_delivered(error.to_string()));
            return reports;
        }
    };
    let arn = context.stack.arn(queue).unwrap_or_default();
    // A bound on the work of one run: at most this many batches.
    for turn in 0..1000usize {
        let received = context
            .sqs
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(settings.batch_size)
            .wait_time_seconds(0)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await;
        let messages = match received {
            Ok(output) => output.messages.unwrap_or_default(),
            Err(error) => {
                let error = aws_sdk_sqs::error::DisplayErrorContext(error).to_string();
                for report in reports.values_mut() {
                    report.error.get_or_insert_with(|| error.clone());
                }
                break;
            }
        };
        if messages.is_empty() {
            break;
        }
        let consumer = &consumers[turn % consumers.len()];
        let event = sqs_event(&messages, &arn, context.stack.region());
        let invocation = match invoke(consumer, event.to_string().into_bytes()).await {
            Ok(invocation) => invocation,
            Err(error) => {
                for message in &messages {
                    let report = reports
                        .entry(message.message_id.clone().unwrap_or_default())
                        .or_insert_with(Report::new);
                    report.error = Some(error.clone());
                }
                break;
            }
        };
        let failed = failed_ids(&invocation, &messages, settings.report_batch_item_failures);
        let (mut done, mut retry) = (Vec::new(), Vec::new());
        for message in &messages {
            let id = message.message_id.clone().unwrap_or_default();
            let report = reports.entry(id.clone()).or_insert_with(Report::new);
            report.record(&invocation, context.started);
            if failed.contains(&id) {
                report.outcome = Outcome::Failed;
                retry.push(message);
            } else {
                report.outcome = Outcome::Succeeded;
                done.push(message);
            }
        }
        if let Err(error) = settle(context, &url, &done, &retry, redrive.is_some()).await {
            for report in reports.values_mut() {
                report.error.get_or_insert_with(|| error.clone());
            }
            break;
        }
    }
    // Failed messages that are gone now were moved by the redrive policy.
    if let Some(dlq) = redrive {
        for report in reports.values_mut() {
            if report.outcome == Outcome::Failed {
                report.outcome = Outcome::DeadLettered;
                report.sent_to = Some((dlq.clone(), String::new()));
            }
        }
    }
    reports
}

/// A queue consumer's event source settings.
struct ConsumerSettings {
    batch_size: i32,
    report_batch_item_failures: bool,
}

fn consumer_settings(template: &Template, queue: &str, function: &str) -> ConsumerSettings {
    let source = template.function(function).and_then(|f| {
        f.events.iter().find_map(|event| match &event.source {
            EventSource::Sqs {
                queue: Some(q),
                batch_size,
                report_batch_item_failures,
                ..
            } if q == queue => Some((*batch_size, *report_batch_item_failures)),
            _ => None,
        })
    });
    let (batch_size, report_batch_item_failures) = source.unwrap_or((None, false));
    ConsumerSettings {
        // SQS hands out at most 10 messages per receive; Lambda's default batch is 10.
        batch_size: batch_size.map_or(10, |size| size.clamp(1, 10) as i32),
        report_batch_item_failures,
    }
}

/// The SQS event Lambda's poller gives the function.
fn sqs_event(messages: &[Message], queue_arn: &str, region: &str) -> Value {
    let records: Vec<Value> = messages
        .iter()
        .map(|message| {
            let attributes: serde_json::Map<String, Value> = message
                .attributes
                .iter()
                .flatten()
                .map(|(name, value)| (name.as_str().to_owned(), Value::String(value.clone())))
                .collect();
            json!({
                "messageId": message.message_id,
                "receiptHandle": message.receipt_handle,
                "body": message.body,
                "attributes": attributes,
                "messageAttributes": {},
                "md5OfBody": message.md5_of_body,
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            })
        })
        .collect();
    json!({ "Records": records })
}

/// The message ids to retry: all of them when the function failed; with
/// `ReportBatchItemFailures`, those it names (all of them when the response is malformed, as
/// Lambda does).
fn failed_ids(
    invocation: &Invocation,
    messages: &[Message],
    report_batch_item_failures: bool,
) -> Vec<String> {
    let all = || {
        messages
            .iter()
            .map(|m| m.message_id.clone().unwrap_or_default())
            .collect()
    };
    if invocation.failed {
        return all();
    }
    if !report_batch_item_failures {
        return Vec::new();
    }
    let response = invocation.body_json();
    match response.get("batchItemFailures") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(failures)) => {
            let ids: Option<Vec<String>> = failures
                .iter()
                .map(|f| {
                    f.get("itemIdentifier")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .collect();
            ids.unwrap_or_else(all)
        }
        Some(_) => all(),
    }
}

/// Deletes the processed messages; makes the failed ones visible again at once when a redrive
/// policy will end their retries.
async fn settle(
    context: &Context,
    url: &str,
    done: &[&Message],
    retry: &[&Message],
    visible_now: bool,
) -> Result<(), String> {
    let error = |e: String| format!("cannot settle messages of {url}: {e}");
    if !done.is_empty() {
        let entries = done
            .iter()
            .enumerate()
            .map(|(i, m)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(m.receipt_handle.clone().unwrap_or_default())
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| error(e.to_string()))?;
        context
            .sqs
            .delete_message_batch()
            .queue_url(url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| error(aws_sdk_sqs::error::DisplayErrorContext(e).to_string()))?;
    }
    if visible_now && !retry.is_empty() {
        let entries = retry
            .iter()
            .enumerate()
            .map(|(i, m)| {
                ChangeMessageVisibilityBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(m.receipt_handle.clone().unwrap_or_default())
                    .visibility_timeout(0)
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| error(e.to_string()))?;
        context
            .sqs
            .change_message_visibility_batch()
            .queue_url(url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| error(aws_sdk_sqs::error::DisplayErrorContext(e).to_string()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use std::time::Duration;

    fn message(id: &str) -> Message {
        Message::builder().message_id(id).body("{}").build()
    }

    fn answer(body: &str, failed: bool) -> Invocation {
        Invocation {
            body: body.into(),
            failed,
            duration: Duration::ZERO,
            logs: Vec::new(),
        }
    }

    #[test]
    fn batch_item_failures_select_the_retried_messages() {
        let messages = [message("a"), message("b")];
        let partial = answer(r#"{"batchItemFailures":[{"itemIdentifier":"b"}]}"#, false);
        assert_eq!(failed_ids(&partial, &messages, true), ["b"]);
        // Without ReportBatchItemFailures the response is not read.
        assert!(failed_ids(&partial, &messages, false).is_empty());
        // A function error retries the whole batch; a malformed response too.
        assert_eq!(failed_ids(&answer("{}", true), &messages, true), ["a", "b"]);
        let malformed = answer(r#"{"batchItemFailures":[{"id":"b"}]}"#, false);
        assert_eq!(failed_ids(&malformed, &messages, true), ["a", "b"]);
        assert!(
            failed_ids(
                &answer(r#"{"batchItemFailures":[]}"#, false),
                &messages,
                true
            )
            .is_empty()
        );
    }
}

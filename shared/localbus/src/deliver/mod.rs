//! Delivering routed events the way EventBridge, Lambda and SQS do.
//!
//! * **Lambda target**: EventBridge invokes the function *asynchronously*. A function error is
//!   retried by Lambda (`EventInvokeConfig.MaximumRetryAttempts`, 2 by default: three attempts
//!   in all), then Lambda sends a failure record (`requestContext.condition:
//!   "RetriesExhausted"`, the request payload, the error) to the on-failure destination. Lambda
//!   waits 1 and 2 minutes between attempts; locally the retries follow at once.
//! * **SQS target**: the payload becomes a message of the queue; the queue's consumer (its SQS
//!   event source) receives batches of up to `BatchSize` messages. With
//!   `ReportBatchItemFailures` only the records named in `batchItemFailures` are retried;
//!   otherwise a function error retries the whole batch. A message received `maxReceiveCount`
//!   times moves to the queue's dead-letter queue (SQS's redrive policy, applied by the local
//!   SQS). Lambda waits for the visibility timeout before a retry; locally a failed message is
//!   made visible at once when the queue has a redrive policy (so the run ends with it
//!   processed or dead-lettered), and left invisible otherwise.
//!
//! [`lambda`] holds the asynchronous invocation and its on-failure record, [`sqs`] the queue
//! messages, their consumers' batches and the redrive; this module what both report.

mod lambda;
mod sqs;

pub(crate) use lambda::invoke_async;
pub(crate) use sqs::{drain, send_message};

use crate::emulator::{EmulatorError, FunctionProcess, Invocation};
use crate::stack::Stack;
use sam_template::Template;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How a delivery ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The function returned a result.
    Succeeded,
    /// Every attempt failed.
    Failed,
    /// The message moved to the queue's dead-letter queue.
    DeadLettered,
    /// Nothing could be invoked (a target localbus does not run, a local error).
    NotDelivered,
}

impl Outcome {
    /// The word in reports.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "Succeeded",
            Outcome::Failed => "Failed",
            Outcome::DeadLettered => "DeadLettered",
            Outcome::NotDelivered => "NotDelivered",
        }
    }
}

/// What happened to one payload at one function.
#[derive(Debug, Clone)]
pub(crate) struct Report {
    /// Invocations of the function with this payload.
    pub(crate) attempts: u32,
    /// The end result.
    pub(crate) outcome: Outcome,
    /// Where the payload went after failing (queue logical id), with the message id.
    pub(crate) sent_to: Option<(String, String)>,
    /// What went wrong, when something did.
    pub(crate) error: Option<String>,
    /// Time spent in the function (all attempts).
    pub(crate) duration: Duration,
    /// When the last attempt ended, counted from the start of the run.
    pub(crate) finished: Duration,
    /// The last response (the result, or the error object).
    pub(crate) response: Option<Value>,
    /// The function's output of every attempt.
    pub(crate) logs: Vec<String>,
}

impl Report {
    pub(super) fn new() -> Report {
        Report {
            attempts: 0,
            outcome: Outcome::NotDelivered,
            sent_to: None,
            error: None,
            duration: Duration::ZERO,
            finished: Duration::ZERO,
            response: None,
            logs: Vec::new(),
        }
    }

    /// A delivery that could not happen.
    pub(crate) fn not_delivered(error: impl Into<String>) -> Report {
        Report {
            error: Some(error.into()),
            ..Report::new()
        }
    }

    pub(super) fn record(&mut self, invocation: &Invocation, started: Instant) {
        self.attempts += 1;
        self.duration += invocation.duration;
        self.finished = started.elapsed();
        self.response = Some(invocation.body_json());
        self.logs.extend(invocation.logs.iter().cloned());
    }
}

/// What every delivery needs.
#[derive(Debug, Clone)]
pub(crate) struct Context {
    /// The template.
    pub(crate) template: Arc<Template>,
    /// Its local names.
    pub(crate) stack: Arc<Stack>,
    /// SQS, for queue targets and on-failure destinations.
    pub(crate) sqs: aws_sdk_sqs::Client,
    /// When the run started.
    pub(crate) started: Instant,
}

/// One synchronous invocation of `process`, off the async runtime's thread.
pub(super) async fn invoke(
    process: &Arc<FunctionProcess>,
    payload: Vec<u8>,
) -> Result<Invocation, String> {
    let process = Arc::clone(process);
    tokio::task::spawn_blocking(move || process.invoke(&payload))
        .await
        .map_err(|error| format!("invocation task failed: {error}"))?
        .map_err(|error: EmulatorError| error.to_string())
}

/// A random id in the UUID layout Lambda uses for request ids.
pub(crate) fn request_id() -> String {
    let a = fastrand::u64(..);
    let b = fastrand::u64(..);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        (b >> 48) & 0x3fff | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_look_like_lambdas() {
        let id = request_id();
        assert_eq!(id.len(), 36);
        assert_eq!(id.matches('-').count(), 4);
        assert_ne!(id, request_id());
    }
}

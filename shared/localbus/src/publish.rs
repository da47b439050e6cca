//! `localbus publish`: the producer side of the order flow. Publishes typed `OrderCreated`
//! events to a bus with the framework's publisher (batching, per-entry retries, bus check).
//!
//! Each `--order` is an `OrderCreated` detail, or a whole event whose detail is one (such as
//! `events/order-created.json`); it is checked against the typed `OrderCreated` before anything
//! is sent. The output mirrors `aws events put-events`. AWS settings come from the usual
//! environment (`AWS_REGION`, credentials, `AWS_ENDPOINT_URL` for a local endpoint such as moto)
//! or `--endpoint-url`.

use crate::input::load;
use eventbridge_lambda::OrderCreated;
use eventbridge_lambda::decode::decode_event;
use eventbridge_lambda::publish::{Delivery, Entry, Publisher};
use serde_json::{Value, json};
use std::process::ExitCode;

/// Arguments of `publish`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The bus: a name, an ARN, or `default`.
    #[arg(long, value_name = "NAME")]
    event_bus_name: String,

    /// An OrderCreated detail or event: JSON text or file://PATH (repeatable).
    #[arg(long = "order", value_name = "JSON|file://PATH", required = true)]
    orders: Vec<String>,

    /// Send to this endpoint instead of AWS (e.g. a moto server).
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
}

/// Why nothing was sent.
#[derive(Debug, thiserror::Error)]
enum UsageError {
    #[error("{0}")]
    Input(String),
    #[error("order {index}: not an OrderCreated: {message}")]
    NotAnOrder { index: usize, message: String },
    #[error(transparent)]
    Publish(#[from] eventbridge_lambda::publish::PublishError),
    #[error("{0}")]
    Runtime(String),
}

/// Runs the subcommand: exit 0 when every order was delivered, 1 when some failed (see the
/// output), 2 when nothing was sent.
pub(crate) fn run(args: &Args) -> ExitCode {
    match publish(args) {
        Ok((output, all_delivered)) => {
            crate::output::line(format_args!("{output}"));
            if all_delivered {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(error) => {
            eprintln!("localbus publish: {error}");
            ExitCode::from(2)
        }
    }
}

/// Reads one `--order`: a whole event (decoded as a typed OrderCreated event) or a bare detail.
fn order(index: usize, text: &str) -> Result<OrderCreated, UsageError> {
    let not_an_order = |message: String| UsageError::NotAnOrder { index, message };
    let value: Value =
        serde_json::from_str(text).map_err(|error| not_an_order(error.to_string()))?;
    if value.get("detail").is_some() {
        decode_event::<OrderCreated>(text.as_bytes())
            .map(|event| event.detail)
            .map_err(|error| not_an_order(error.to_string()))
    } else {
        serde_json::from_value(value).map_err(|error| not_an_order(error.to_string()))
    }
}

fn publish(args: &Args) -> Result<(String, bool), UsageError> {
    let mut entries = Vec::with_capacity(args.orders.len());
    for (index, arg) in args.orders.iter().enumerate() {
        let text = load(arg).map_err(UsageError::Input)?;
        entries.push(Entry::new(&order(index, &text)?)?);
    }
    let report = crate::block_on::block_on(async {
        let mut loader = eventbridge_lambda::aws::config_loader();
        if let Some(endpoint) = &args.endpoint_url {
            loader = loader.endpoint_url(endpoint);
        }
        let client = aws_sdk_eventbridge::Client::new(&loader.load().await);
        let publisher = Publisher::put_events(client, &args.event_bus_name).await?;
        publisher.publish(&entries).await.map_err(UsageError::from)
    })
    .map_err(UsageError::Runtime)??;
    let results: Vec<Value> = report
        .deliveries
        .iter()
        .map(|delivery| match delivery {
            Delivery::Delivered { event_id, .. } => json!({ "EventId": event_id }),
            Delivery::Failed { code, message, .. } => {
                json!({ "ErrorCode": code, "ErrorMessage": message })
            }
        })
        .collect();
    let failed = report.failures().count();
    let output = json!({ "FailedEntryCount": failed, "Entries": results });
    Ok((
        serde_json::to_string_pretty(&output).unwrap_or_else(|_| output.to_string()),
        failed == 0,
    ))
}

//! An SQS event source without `FunctionResponseTypes: [ReportBatchItemFailures]`: `localbus
//! routes` and `send` warn about it, and `send` settles the batch as Lambda does, on the
//! invocation's result alone, so the record the function reported failed is deleted with its
//! batch and reported lost. Runs the real shipping bootstrap (built for this machine by
//! `scripts/build-host-bootstraps.sh`, refused when older than its sources) under the Lambda
//! Runtime Interface Emulator against moto.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{functions_dir, localbus, root};
use eventbridge_lambda_testing::shared_moto;
use serde_json::Value;
use std::process::{Command, Output};

const FIXTURE: &str =
    "shared/localbus/tests/fixtures/shipping-without-report-batch-item-failures.yaml";

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const WARNING: &str = "localbus: warning: function ShippingFunction, SQS event source ShippingQueue (queue ShippingQueue) lacks `FunctionResponseTypes: [ReportBatchItemFailures]`";

#[test]
fn routes_warns_about_an_sqs_event_source_without_the_response_type() {
    let output = localbus(&["routes", "--template", FIXTURE]);
    assert!(output.status.success(), "{}", stderr(&output));
    let warnings = stderr(&output);
    assert!(warnings.contains(WARNING), "{warnings}");
    assert!(
        warnings.contains("Lambda would delete the failed messages"),
        "{warnings}"
    );

    // The project's template has the response type: no warning.
    let output = localbus(&["routes"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!stderr(&output).contains("warning"), "{}", stderr(&output));
}

#[test]
fn send_warns_and_reports_the_failed_record_lambda_deletes_as_lost() {
    let functions = functions_dir();
    let moto = shared_moto();
    // An OrderCreated without items, which the function rejects, next to a good one: one batch
    // with one failed record, so the function's invocation succeeds with a partial response.
    let mut bad: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("events/order-created-full.json")).unwrap(),
    )
    .unwrap();
    bad["detail"].as_object_mut().unwrap().remove("items");
    let bad = bad.to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_localbus"))
        .current_dir(root())
        .args(["send", "--template", FIXTURE])
        .args([
            "--event",
            "file://events/order-created.json",
            "--event",
            &bad,
        ])
        .args(["--event-bus-name", "orders-lossy"])
        .args(["--endpoint-url", &moto.endpoint(), "--stack-name", "lossy"])
        .args(["--output", "json", "--functions-dir"])
        .arg(&functions)
        .output()
        .unwrap();
    let warnings = stderr(&output);
    assert!(warnings.contains(WARNING), "{warnings}");
    let report: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {warnings}"));
    assert_eq!(output.status.code(), Some(1), "{report:#}");

    let delivery = |index: usize| report["Events"][index]["Deliveries"][0].clone();
    let good = delivery(0);
    assert_eq!(good["Outcome"], "Succeeded", "{good:#}");
    let lost = delivery(1);
    // One invocation, no retry and no dead-letter queue, although the function named the
    // record in batchItemFailures and the queue redrives after 2 receives.
    assert_eq!(lost["Outcome"], "Failed", "{lost:#}");
    assert_eq!(lost["Attempts"], 1, "{lost:#}");
    assert!(lost["SentTo"].is_null(), "{lost:#}");
    assert_eq!(
        lost["Response"]["batchItemFailures"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "{lost:#}"
    );
    let error = lost["Error"].as_str().unwrap();
    assert!(
        error.contains("ShippingFunction")
            && error.contains("ShippingQueue")
            && error.contains("deleted the message"),
        "{error}"
    );
    // Both messages are gone from the queue, and none reached the dead-letter queue.
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let sqs = aws_sdk_sqs::Client::new(&moto.sdk_config().await);
            for queue in ["shipping-lossy", "shipping-lossy-dlq"] {
                let url = format!("{}/123456789012/{queue}", moto.endpoint());
                let attributes = sqs
                    .get_queue_attributes()
                    .queue_url(url)
                    .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
                    .send()
                    .await
                    .unwrap()
                    .attributes
                    .unwrap();
                for name in [
                    aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages,
                    aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
                ] {
                    assert_eq!(attributes[&name], "0", "{queue} {name:?}");
                }
            }
        });
}

//! Every SQS event source of a function must carry `FunctionResponseTypes:
//! [ReportBatchItemFailures]`: the framework answers a partly failed batch with a successful
//! response naming the failed records, and without the response type Lambda ignores the names
//! and deletes every message of the batch.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use sam_template::{Finding, Template};
use std::path::{Path, PathBuf};

fn here() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn template(path: &Path) -> Template {
    Template::from_path(path).unwrap()
}

#[test]
fn the_projects_sqs_event_sources_report_batch_item_failures() {
    let template = template(&here().join("../../template.yaml"));
    if let Err(problems) = template.check() {
        panic!("template.yaml: {problems}");
    }
}

#[test]
fn an_sqs_event_source_without_the_response_type_fails_the_check_naming_function_and_event() {
    let template =
        template(&here().join("tests/fixtures/sqs-without-report-batch-item-failures.yaml"));
    let error = template.check().unwrap_err();
    let [finding] = error.findings.as_slice() else {
        panic!("one finding expected: {error}");
    };
    assert!(
        matches!(
            finding,
            Finding::MissingReportBatchItemFailures { function, event, queue: Some(queue), .. }
                if function == "ShippingFunction" && event == "ShippingQueue" && queue == "ShippingQueue"
        ),
        "{finding:?}"
    );
    let message = error.to_string();
    for part in [
        "function ShippingFunction, SQS event source ShippingQueue (queue ShippingQueue)",
        "FunctionResponseTypes: [ReportBatchItemFailures]",
        "Lambda would delete the failed messages",
    ] {
        assert!(message.contains(part), "{part:?} not in: {message}");
    }
}

#[test]
fn the_response_type_among_others_or_on_a_queue_outside_the_template_is_read() {
    let template = Template::parse(
        r"
Resources:
  Q:
    Type: AWS::SQS::Queue
  Listed:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        FromQ:
          Type: SQS
          Properties:
            Queue: !GetAtt Q.Arn
            FunctionResponseTypes: [ReportBatchItemFailures]
  Outside:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Rule:
          Type: EventBridgeRule
          Properties: {Pattern: {source: [a]}}
        Elsewhere:
          Type: SQS
          Properties:
            Queue: arn:aws:sqs:us-east-1:123456789012:elsewhere
            FunctionResponseTypes: []
",
    )
    .unwrap();
    let findings = template.findings();
    assert_eq!(findings.len(), 1, "{findings:?}");
    let message = findings[0].to_string();
    assert!(
        message.starts_with(
            "function Outside, SQS event source Elsewhere (queue arn:aws:sqs:us-east-1:123456789012:elsewhere)"
        ),
        "{message}"
    );
}

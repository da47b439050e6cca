//! The template's [`Finding`]s in `routes` and `send`: warnings on stderr, and, in `send`, the
//! messages Lambda deletes although the function reported them failed.

use crate::deliver::{Outcome, Report};
use sam_template::{Finding, Template};
use serde_json::Value;

/// Prints every finding of the template on stderr.
pub(crate) fn warn(template: &Template) {
    for finding in template.findings() {
        eprintln!("localbus: warning: {finding}");
    }
}

/// The consumers of one queue whose SQS event source lacks `ReportBatchItemFailures`: Lambda
/// ignores their `batchItemFailures` and settles each batch on the invocation's result alone.
#[derive(Debug, Clone, Default)]
pub(crate) struct IgnoredBatchItemFailures {
    /// (function, event name) of each such event source.
    sources: Vec<(String, String)>,
}

impl IgnoredBatchItemFailures {
    /// The event sources of `consumers` on `queue` (a logical id) without the response type.
    pub(crate) fn of(template: &Template, queue: &str, consumers: &[String]) -> Self {
        let sources = template
            .findings()
            .into_iter()
            .filter_map(|finding| match finding {
                Finding::MissingReportBatchItemFailures {
                    function,
                    event,
                    queue: Some(q),
                    ..
                } if q == queue && consumers.contains(&function) => Some((function, event)),
                _ => None,
            })
            .collect();
        IgnoredBatchItemFailures { sources }
    }

    /// Marks a delivery that Lambda counted as a success, and so deleted, although the
    /// function named the message in `batchItemFailures`: the message is lost, and the report
    /// says so.
    pub(crate) fn mark_lost(&self, message_id: &str, report: &mut Report) {
        let Some((function, event)) = self.sources.first() else {
            return;
        };
        if report.outcome != Outcome::Succeeded || !names(report.response.as_ref(), message_id) {
            return;
        }
        report.outcome = Outcome::Failed;
        report.error = Some(format!(
            "{function} reported this record failed in batchItemFailures, but its SQS event \
             source {event} lacks FunctionResponseTypes: [ReportBatchItemFailures], so Lambda \
             ignored the list and deleted the message: it is lost"
        ));
    }
}

/// Whether a batch response names `message_id` in `batchItemFailures`.
fn names(response: Option<&Value>, message_id: &str) -> bool {
    response
        .and_then(|r| r.get("batchItemFailures"))
        .and_then(Value::as_array)
        .is_some_and(|failures| {
            failures
                .iter()
                .any(|f| f.get("itemIdentifier").and_then(Value::as_str) == Some(message_id))
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use serde_json::json;

    const TEMPLATE: &str = r"
Resources:
  Q:
    Type: AWS::SQS::Queue
  Reporting:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        FromQ:
          Type: SQS
          Properties: {Queue: !GetAtt Q.Arn, FunctionResponseTypes: [ReportBatchItemFailures]}
  Silent:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        FromQ:
          Type: SQS
          Properties: {Queue: !GetAtt Q.Arn}
";

    fn succeeded(response: Value) -> Report {
        let mut report = Report::not_delivered("");
        report.error = None;
        report.outcome = Outcome::Succeeded;
        report.response = Some(response);
        report
    }

    #[test]
    fn a_named_record_of_a_consumer_without_the_response_type_is_lost() {
        let template = Template::parse(TEMPLATE).unwrap();
        let partial = json!({"batchItemFailures": [{"itemIdentifier": "m-2"}]});

        let silent = IgnoredBatchItemFailures::of(&template, "Q", &["Silent".to_owned()]);
        let mut named = succeeded(partial.clone());
        silent.mark_lost("m-2", &mut named);
        assert_eq!(named.outcome, Outcome::Failed);
        let error = named.error.unwrap();
        assert!(
            error.contains("Silent") && error.contains("FromQ") && error.contains("lost"),
            "{error}"
        );
        // A record the response does not name succeeded.
        let mut other = succeeded(partial.clone());
        silent.mark_lost("m-1", &mut other);
        assert_eq!(other.outcome, Outcome::Succeeded);

        // With the response type Lambda retried the named record: nothing to mark.
        let reporting = IgnoredBatchItemFailures::of(&template, "Q", &["Reporting".to_owned()]);
        let mut retried = succeeded(partial);
        reporting.mark_lost("m-2", &mut retried);
        assert_eq!(retried.outcome, Outcome::Succeeded);
        assert!(retried.error.is_none());
    }
}

//! Checks for template settings under which a deployed application loses events without an
//! error anywhere: [`Template::check`] and [`Template::findings`].

use crate::model::EventSource;
use crate::{Expr, Template};
use std::fmt;

/// A setting of the template under which AWS would lose events silently.
///
/// ```
/// use sam_template::{Finding, Template};
///
/// let t = Template::parse(r#"
/// Resources:
///   Q:
///     Type: AWS::SQS::Queue
///   F:
///     Type: AWS::Serverless::Function
///     Properties:
///       Events:
///         Orders:
///           Type: SQS
///           Properties: {Queue: !GetAtt Q.Arn}
/// "#)?;
/// let findings = t.findings();
/// assert!(matches!(
///     &findings[..],
///     [Finding::MissingReportBatchItemFailures { function, event, queue: Some(q), .. }]
///         if function == "F" && event == "Orders" && q == "Q"
/// ));
/// # Ok::<(), sam_template::TemplateError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Finding {
    /// An SQS event source of a function without `FunctionResponseTypes:
    /// [ReportBatchItemFailures]`. A function of this framework answers a batch in which some
    /// records failed with a successful response that names them in `batchItemFailures`.
    /// Lambda reads that list only when the event source has the response type; without it,
    /// the invocation succeeded, so Lambda deletes every message of the batch, the failed ones
    /// included.
    MissingReportBatchItemFailures {
        /// The function's logical id.
        function: String,
        /// The event's name under the function's `Events`.
        event: String,
        /// The queue's logical id, when the queue is in the template.
        queue: Option<String>,
        /// The `Queue` property as written.
        queue_arn: Expr,
    },
    /// A Custom Event Bus subscriber without `OnFailureConfiguration`: an event whose
    /// delivery still fails after the subscriber's `RetryPolicy` is dropped, and only the
    /// `EventsDropped` metric counts it.
    SubscriberWithoutOnFailure {
        /// The subscriber's logical id.
        subscriber: String,
    },
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::MissingReportBatchItemFailures {
                function,
                event,
                queue,
                queue_arn,
            } => {
                write!(f, "function {function}, SQS event source {event} (queue ")?;
                match queue {
                    Some(queue) => write!(f, "{queue}")?,
                    None => write_expr(f, queue_arn)?,
                }
                write!(
                    f,
                    ") lacks `FunctionResponseTypes: [ReportBatchItemFailures]`: the function \
                     reports failed records in the `batchItemFailures` of a successful \
                     response, which Lambda ignores without it, so Lambda would delete the \
                     failed messages instead of retrying them"
                )
            }
            Finding::SubscriberWithoutOnFailure { subscriber } => write!(
                f,
                "subscriber {subscriber} has no OnFailureConfiguration: an event it still \
                 cannot deliver after its RetryPolicy is dropped, counted only in the \
                 EventsDropped metric; give it an SQS queue for failure records"
            ),
        }
    }
}

/// An expression as a template spells it in YAML's short form.
fn write_expr(f: &mut fmt::Formatter<'_>, expr: &Expr) -> fmt::Result {
    match expr {
        Expr::Literal(text) => write!(f, "{text}"),
        Expr::Ref(name) => write!(f, "!Ref {name}"),
        Expr::GetAtt {
            resource,
            attribute,
        } => write!(f, "!GetAtt {resource}.{attribute}"),
        Expr::Sub(text) => write!(f, "!Sub {text}"),
        Expr::Other(value) => write!(f, "{value}"),
    }
}

/// What [`Template::check`] found: every [`Finding`], one per line in the message.
///
/// ```
/// let t = sam_template::Template::parse(r#"
/// Resources:
///   F:
///     Type: AWS::Serverless::Function
///     Properties:
///       Events:
///         Jobs:
///           Type: SQS
///           Properties: {Queue: arn:aws:sqs:us-east-1:123456789012:jobs, BatchSize: 5}
/// "#)?;
/// let error = t.check().unwrap_err();
/// assert_eq!(error.findings.len(), 1);
/// assert!(error.to_string().contains("function F, SQS event source Jobs"));
/// # Ok::<(), sam_template::TemplateError>(())
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{} problem{} in the template:{}", findings.len(), if findings.len() == 1 { "" } else { "s" }, lines(findings))]
pub struct CheckFailed {
    /// What was found, in function and event order.
    pub findings: Vec<Finding>,
}

fn lines(findings: &[Finding]) -> String {
    findings.iter().map(|f| format!("\n  {f}")).collect()
}

impl Template {
    /// Every [`Finding`] of the template, in function and event order, then the subscribers';
    /// empty when there is nothing to report.
    ///
    /// ```
    /// let t = sam_template::Template::from_path(concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml"))?;
    /// assert!(t.findings().is_empty());
    /// # Ok::<(), sam_template::TemplateError>(())
    /// ```
    pub fn findings(&self) -> Vec<Finding> {
        self.functions()
            .iter()
            .flat_map(|function| {
                function
                    .events
                    .iter()
                    .filter_map(|event| match &event.source {
                        EventSource::Sqs {
                            queue,
                            queue_arn,
                            report_batch_item_failures: false,
                            ..
                        } => Some(Finding::MissingReportBatchItemFailures {
                            function: function.logical_id.clone(),
                            event: event.name.clone(),
                            queue: queue.clone(),
                            queue_arn: queue_arn.clone(),
                        }),
                        _ => None,
                    })
            })
            .chain(
                self.subscribers()
                    .iter()
                    .filter(|s| s.on_failure.is_none())
                    .map(|s| Finding::SubscriberWithoutOnFailure {
                        subscriber: s.logical_id.clone(),
                    }),
            )
            .collect()
    }

    /// Checks the template for settings under which AWS would lose events silently (see
    /// [`Finding`]).
    ///
    /// # Errors
    /// [`CheckFailed`] with every finding, when there is one.
    pub fn check(&self) -> Result<(), CheckFailed> {
        let findings = self.findings();
        if findings.is_empty() {
            Ok(())
        } else {
            Err(CheckFailed { findings })
        }
    }
}

//! The Custom Event Bus (`AWS::EventsV2::*`, API `eventbridgev2`) run locally: `routes` lists
//! its subscribers, `route` shows what each would receive, and `send --event-bus-name <bus>`
//! publishes to it and delivers to the subscribed functions' real bootstraps.
//!
//! * [`entry`]: what is published (PutEvents request, entry, or a Classic envelope file).
//! * [`store`]: the bus's retained events on disk, sequence numbers and publish-time
//!   de-duplication.
//! * [`filter`]: `FilterConfiguration` (AND of the scopes, no `wildcard`).
//! * [`payload`]: `Transformer` and `BatchConfiguration`: the bytes a function receives.
//! * [`deliver`]: batches, FIFO, `RetryPolicy` and the on-failure record.
//! * [`send`] and [`route`]: the subcommands.
//!
//! Where AWS's pages disagree, docs.aws.amazon.com wins; where they are silent, localbus does
//! what cannot lose an event (each such choice is documented where it is made).

pub(crate) mod deliver;
pub(crate) mod entry;
pub(crate) mod filter;
pub(crate) mod payload;
pub(crate) mod route;
pub(crate) mod send;
pub(crate) mod store;

use crate::stack::{ResolveError, Stack};
use sam_template::{CustomBus, Subscriber, Template};

/// Why a Custom Event Bus cannot be run.
#[derive(Debug, thiserror::Error)]
pub(crate) enum V2Error {
    /// A subscriber's filter uses `wildcard`, which the Custom Event Bus rejects.
    #[error(
        "subscriber {subscriber}: the {scope} filter uses `wildcard`, which the Custom Event Bus does not support (CreateSubscriber rejects it)"
    )]
    Wildcard {
        /// The subscriber's logical id.
        subscriber: String,
        /// The filter's scope.
        scope: &'static str,
    },
    /// A subscriber's filter is not a valid event pattern.
    #[error("subscriber {subscriber}: the {scope} filter is not a valid event pattern: {source}")]
    Pattern {
        /// The subscriber's logical id.
        subscriber: String,
        /// The filter's scope.
        scope: &'static str,
        /// The matcher's reason, AWS's text.
        #[source]
        source: eventbridge_pattern::PatternError,
    },
    /// What was given to publish is not a PutEvents request, entry or event.
    #[error("{0}")]
    Entry(String),
    /// A name of the template cannot be computed.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// The state directory cannot be read or written.
    #[error("state directory {path}: {source}")]
    Store {
        /// The file or directory.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// The Custom Event Bus `name` names: a logical id, or its name in `stack`.
pub(crate) fn custom_bus_named<'t>(
    template: &'t Template,
    stack: &Stack,
    name: &str,
) -> Option<&'t CustomBus> {
    template.custom_buses().iter().find(|bus| {
        bus.logical_id == name
            || stack
                .resolve(&bus.name)
                .is_ok_and(|physical| physical == name)
    })
}

/// A Custom Event Bus's local identity: its name and ARN (`…:event-busv2/<name>/<id>`).
#[derive(Debug, Clone)]
pub(crate) struct BusIdentity {
    /// The logical id.
    pub(crate) logical_id: String,
    /// The physical name.
    pub(crate) name: String,
    /// The ARN.
    pub(crate) arn: String,
    /// How long events are kept, in days.
    pub(crate) retention_days: u32,
}

/// The retention localbus assumes when the template sets none. AWS's default is not
/// documented; keeping events longer never loses one, so localbus keeps them for the maximum.
pub(crate) const DEFAULT_RETENTION_DAYS: u32 = 365;

impl BusIdentity {
    /// The bus as deployed in `stack`.
    pub(crate) fn of(bus: &CustomBus, stack: &Stack) -> Result<BusIdentity, V2Error> {
        let name = stack.resolve(&bus.name)?;
        Ok(BusIdentity {
            logical_id: bus.logical_id.clone(),
            arn: format!(
                "arn:aws:events:{}:{}:event-busv2/{name}/{}",
                stack.region(),
                stack.account(),
                resource_id(&name)
            ),
            name,
            retention_days: bus.retention_days.unwrap_or(DEFAULT_RETENTION_DAYS),
        })
    }
}

/// A subscriber's ARN in `stack` (`…:subscriber/<name>/<id>`).
pub(crate) fn subscriber_arn(subscriber: &Subscriber, stack: &Stack) -> Result<String, V2Error> {
    let name = stack.resolve(&subscriber.name)?;
    Ok(format!(
        "arn:aws:events:{}:{}:subscriber/{name}/{}",
        stack.region(),
        stack.account(),
        resource_id(&name)
    ))
}

/// The 25-character lower-case id AWS appends to a bus or subscriber ARN; locally derived from
/// the name, so the same name always gets the same ARN.
fn resource_id(name: &str) -> String {
    // FNV-1a, twice with different offsets, in base 36.
    let hash = |offset: u64| {
        name.bytes().fold(offset, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    };
    let mut value =
        (u128::from(hash(0xcbf2_9ce4_8422_2325)) << 64) | u128::from(hash(0x8422_2325_cbf2_9ce4));
    let mut id = String::with_capacity(25);
    for _ in 0..25 {
        let digit = u32::try_from(value % 36).unwrap_or(0);
        id.push(char::from_digit(digit, 36).unwrap_or('0'));
        value /= 36;
    }
    id
}

/// The subscriber of a one-function template, with `extra` (YAML lines indented as the
/// subscriber's properties) after its required ones: the v2 modules' unit tests build theirs here.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) fn test_subscriber(extra: &str) -> Subscriber {
    let text = format!(
        r#"
Resources:
  F: {{Type: AWS::Serverless::Function}}
  S:
    Type: AWS::EventsV2::Subscriber
    Properties:
      Name: s
      EventBusArn: arn:aws:events:us-east-1:123456789012:event-busv2/b/abcdefghijklmnopqrstuvwxy
      InvokeConfiguration: {{TargetArn: !GetAtt F.Arn, RoleArn: arn:aws:iam::123456789012:role/r}}
{extra}"#
    );
    sam_template::Template::parse(&text).unwrap().subscribers()[0].clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_ids_are_25_stable_base36_characters() {
        let id = resource_id("order-stream-dev");
        assert_eq!(id.len(), 25);
        assert!(
            id.chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
        );
        assert_eq!(id, resource_id("order-stream-dev"));
        assert_ne!(id, resource_id("order-stream-prod"));
    }
}

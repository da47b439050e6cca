//! A subscriber's `FilterConfiguration`: one EventBridge pattern per scope, all of which must
//! match (AND). `DATA` sees the published data (for PutEvents, the Classic envelope),
//! `METADATA` the publisher's metadata (PutRawEvents only, so `{}` for PutEvents traffic) and
//! `SYSTEM_METADATA` the system metadata (`aws:EventId`, `EventGroupId`, `aws:DeliveryType`,
//! ...). The pattern language is Classic EventBridge's, answered by the project's matcher, except
//! `wildcard`, which the Custom Event Bus does not support: a filter using it is an error naming
//! the subscriber, as CreateSubscriber rejects it.

use super::V2Error;
use eventbridge_pattern::Pattern;
use sam_template::{FilterScope, Subscriber};
use serde_json::{Map, Value};

/// A subscriber's filters, compiled.
#[derive(Debug)]
pub(crate) struct SubscriberFilter {
    patterns: Vec<(FilterScope, Pattern)>,
}

impl SubscriberFilter {
    /// Compiles `subscriber`'s filters.
    ///
    /// # Errors
    /// [`V2Error::Wildcard`] for a `wildcard` operator, [`V2Error::Pattern`] for a pattern the
    /// matcher rejects.
    pub(crate) fn new(subscriber: &Subscriber) -> Result<SubscriberFilter, V2Error> {
        let mut patterns = Vec::new();
        for filter in &subscriber.filters {
            let scope = filter.scope.as_str();
            let pattern_error = |source| V2Error::Pattern {
                subscriber: subscriber.logical_id.clone(),
                scope,
                source,
            };
            let pattern = Pattern::parse(&filter.pattern).map_err(pattern_error)?;
            if let Ok(Value::Object(json)) = serde_json::from_str::<Value>(&filter.pattern)
                && uses_wildcard(&json)
            {
                return Err(V2Error::Wildcard {
                    subscriber: subscriber.logical_id.clone(),
                    scope,
                });
            }
            patterns.push((filter.scope, pattern));
        }
        Ok(SubscriberFilter { patterns })
    }

    /// Whether an event matches every filter: `data`, `metadata` and `system_metadata` are
    /// what each scope sees.
    pub(crate) fn matches(&self, data: &Value, metadata: &Value, system_metadata: &Value) -> bool {
        self.patterns.iter().all(|(scope, pattern)| {
            let document = match scope {
                FilterScope::Data => data,
                FilterScope::Metadata => metadata,
                FilterScope::SystemMetadata => system_metadata,
            };
            serde_json::to_vec(document)
                .ok()
                .is_some_and(|bytes| pattern.matches(&bytes).unwrap_or(false))
        })
    }
}

/// Whether a pattern object uses the `wildcard` operator anywhere (`$or` branches and nested
/// fields included; a *field* named `wildcard` is not the operator).
fn uses_wildcard(pattern: &Map<String, Value>) -> bool {
    pattern.iter().any(|(key, value)| match value {
        Value::Array(items) if key == "$or" => items
            .iter()
            .any(|branch| branch.as_object().is_some_and(uses_wildcard)),
        Value::Object(nested) => uses_wildcard(nested),
        Value::Array(values) => values
            .iter()
            .any(|v| v.as_object().is_some_and(operator_uses_wildcard)),
        _ => false,
    })
}

/// Whether a match operator (`{"wildcard": …}`, `{"anything-but": {"wildcard": …}}`) uses
/// `wildcard`.
fn operator_uses_wildcard(operator: &Map<String, Value>) -> bool {
    operator.iter().any(|(key, value)| {
        key == "wildcard" || value.as_object().is_some_and(operator_uses_wildcard)
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use serde_json::json;

    fn subscriber(filters: &str) -> Subscriber {
        super::super::test_subscriber(&format!(
            "      FilterConfiguration:\n        Filters:\n{filters}"
        ))
    }

    #[test]
    fn scopes_are_and_combined() {
        let s = subscriber(
            "          - {Scope: DATA, Pattern: '{\"source\": [\"shop\"]}'}\n          - {Scope: SYSTEM_METADATA, Pattern: '{\"EventGroupId\": [{\"prefix\": \"vip-\"}]}'}\n",
        );
        let filter = SubscriberFilter::new(&s).unwrap();
        let data = json!({"source": "shop"});
        let vip = json!({"EventGroupId": "vip-1"});
        let std = json!({"EventGroupId": "std-1"});
        assert!(filter.matches(&data, &json!({}), &vip));
        assert!(!filter.matches(&data, &json!({}), &std));
        assert!(!filter.matches(&json!({"source": "other"}), &json!({}), &vip));
    }

    #[test]
    fn wildcard_is_rejected_naming_the_subscriber() {
        for pattern in [
            r#"{\"source\": [{\"wildcard\": \"sh*\"}]}"#,
            r#"{\"detail\": {\"id\": [{\"anything-but\": {\"wildcard\": \"a*\"}}]}}"#,
            r#"{\"$or\": [{\"source\": [\"a\"]}, {\"source\": [{\"wildcard\": \"b*\"}]}]}"#,
        ] {
            let s = subscriber(&format!(
                "          - {{Scope: DATA, Pattern: \"{pattern}\"}}\n"
            ));
            let error = SubscriberFilter::new(&s).unwrap_err();
            assert!(
                matches!(&error, V2Error::Wildcard { subscriber, scope: "DATA" } if subscriber == "S"),
                "{error}"
            );
        }
        // A field named "wildcard" is an ordinary field.
        let s = subscriber(
            "          - {Scope: DATA, Pattern: '{\"detail\": {\"wildcard\": [\"x\"]}}'}\n",
        );
        assert!(SubscriberFilter::new(&s).is_ok());
        let s = subscriber("          - {Scope: DATA, Pattern: '{\"source\": \"x\"}'}\n");
        assert!(matches!(
            SubscriberFilter::new(&s),
            Err(V2Error::Pattern { .. })
        ));
    }
}

//! PutEvents, PutPartnerEvents and TestEventPattern.
//!
//! A put answers at once, as EventBridge does: each entry gets a new event id (or its error
//! code), and the accepted events' deliveries run in the background
//! ([`Deliveries`](super::super::deliveries::Deliveries)). Entries are checked as EventBridge
//! checks them: at most 10 (PutEvents) or 20 (PutPartnerEvents) per call and 256 KB in all (the
//! size of `Time`, `Source`, `DetailType`, `Detail` and `Resources`, as AWS counts it); an entry
//! without `Source`, `DetailType` or `Detail` is `InvalidArgument`, a `Detail` that is not a JSON
//! object is `MalformedDetail`, an unknown bus or partner source is
//! `ResourceNotFoundException`, a source under `aws.` is `NotAuthorizedForSourceException`; the
//! other entries of the call are accepted.

use super::super::protocol::{ApiError, Params};
use super::super::registry::{Bus, PartnerRoute};
use super::Api;
use crate::test_event_pattern::{Failure, test};
use eventbridge_pattern::Limits;
use serde_json::{Map, Value, json};

/// The most entries of one PutEvents call.
const MAX_PUT_EVENTS: usize = 10;
/// The most entries of one PutPartnerEvents call.
const MAX_PUT_PARTNER_EVENTS: usize = 20;
/// The most bytes of a call's entries, counted as AWS counts them.
const MAX_ENTRIES_BYTES: usize = 256 * 1024;

/// An entry's error: code and message.
type EntryError = (&'static str, String);

/// `PutEvents`.
pub(super) async fn put_events(api: &Api, request: &Map<String, Value>) -> Result<Value, ApiError> {
    let entries = entries(request, "PutEventsRequestEntry", MAX_PUT_EVENTS)?;
    let mut results = Vec::with_capacity(entries.len());
    for entry in entries {
        let accepted = accept(api, entry, |api, entry| {
            let bus = api
                .registry()
                .bus(Params(entry).string("EventBusName").map_err(entry_error)?)
                .map_err(entry_error)?
                .clone();
            Ok((Some(bus), api.registry().account().to_owned()))
        });
        results.push(deliver(api, accepted));
    }
    Ok(answer(results))
}

/// `PutPartnerEvents`: each entry's `Source` is a partner event source; its event reaches the
/// customer bus of an `ACTIVE` source, and is dropped for a `PENDING` one.
pub(super) async fn put_partner_events(
    api: &Api,
    request: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let entries = entries(
        request,
        "PutPartnerEventsRequestEntry",
        MAX_PUT_PARTNER_EVENTS,
    )?;
    let mut results = Vec::with_capacity(entries.len());
    for entry in entries {
        let accepted = accept(api, entry, |api, entry| {
            let source = Params(entry)
                .string("Source")
                .map_err(entry_error)?
                .unwrap_or_default();
            let registry = api.registry();
            let account = registry
                .source(source)
                .map_err(entry_error)?
                .account
                .clone();
            let bus = match registry.partner_route(source).map_err(entry_error)? {
                PartnerRoute::Bus(name) => {
                    Some(registry.bus(Some(&name)).map_err(entry_error)?.clone())
                }
                PartnerRoute::Dropped => None,
            };
            Ok((bus, account))
        });
        results.push(deliver(api, accepted));
    }
    Ok(answer(results))
}

/// An accepted entry: its event and the bus it goes to (`None`: dropped), or its error.
type Accepted = Result<(Value, Option<Bus>), EntryError>;

/// Checks one entry and makes its event; `destination` finds its bus and account.
fn accept(
    api: &Api,
    entry: &Value,
    destination: impl FnOnce(&Api, &Map<String, Value>) -> Result<(Option<Bus>, String), EntryError>,
) -> Accepted {
    let Value::Object(entry) = entry else {
        return Err(("InvalidArgument", "Entries must hold objects.".into()));
    };
    let params = Params(entry);
    let text = |name: &str| params.string(name).map_err(entry_error);
    let source = text("Source")?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid("Source"))?;
    let detail_type = text("DetailType")?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid("DetailType"))?;
    let detail_text = text("Detail")?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid("Detail"))?;
    let detail = match serde_json::from_str::<Value>(detail_text) {
        Ok(detail @ Value::Object(_)) => detail,
        _ => return Err(("MalformedDetail", "Detail is malformed.".into())),
    };
    if source.starts_with("aws.") && !source.starts_with("aws.partner/") {
        return Err((
            "NotAuthorizedForSourceException",
            "Not authorized for the source.".into(),
        ));
    }
    let resources = params
        .list("Resources")
        .map_err(entry_error)?
        .unwrap_or_default()
        .to_vec();
    if resources.iter().any(|r| !r.is_string()) {
        return Err((
            "InvalidArgument",
            "Parameter Resources is not valid.".into(),
        ));
    }
    let time = time(entry.get("Time"))
        .ok_or_else(|| ("InvalidArgument", "Parameter Time is not valid.".to_owned()))?;
    let (bus, account) = destination(api, entry)?;
    let event = json!({
        "version": "0",
        "id": crate::deliver::request_id(),
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": time,
        "region": api.stack.region(),
        "resources": resources,
        "detail": detail,
    });
    Ok((event, bus))
}

/// Starts an accepted event's deliveries; the entry's result.
fn deliver(api: &Api, accepted: Accepted) -> Value {
    match accepted {
        Ok((event, bus)) => {
            let id = event["id"].clone();
            if let Some(bus) = bus {
                match api.deliveries.route(&bus, &event) {
                    Ok(matches) => api.deliveries.start(&bus, &event, matches),
                    // The event is accepted (as EventBridge accepts it before any rule runs);
                    // that no rule could take it is said, never kept quiet.
                    Err(error) => crate::output::line(format_args!(
                        "event {id} on {}: not routed: {error}",
                        bus.name
                    )),
                }
            }
            json!({ "EventId": id })
        }
        Err((code, message)) => json!({ "ErrorCode": code, "ErrorMessage": message }),
    }
}

/// The answer of a put.
fn answer(results: Vec<Value>) -> Value {
    let failed = results
        .iter()
        .filter(|r| r.get("ErrorCode").is_some())
        .count();
    json!({ "FailedEntryCount": failed, "Entries": results })
}

/// The call's entries, within the count and size limits.
fn entries<'a>(
    request: &'a Map<String, Value>,
    member: &str,
    max: usize,
) -> Result<&'a [Value], ApiError> {
    let entries = Params(request)
        .list("Entries")?
        .ok_or_else(|| ApiError::validation("Parameter Entries is required."))?;
    if entries.is_empty() || entries.len() > max {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '[{member}]' at 'entries' failed to satisfy constraint: Member must have length {}",
            if entries.is_empty() {
                "greater than or equal to 1".to_owned()
            } else {
                format!("less than or equal to {max}")
            }
        )));
    }
    let size: usize = entries.iter().map(entry_size).sum();
    if size > MAX_ENTRIES_BYTES {
        return Err(ApiError::validation(format!(
            "Total size of the entries in the request is over the limit: {size} bytes, at most {MAX_ENTRIES_BYTES}."
        )));
    }
    Ok(entries)
}

/// An entry's size as AWS counts it: 14 bytes for a `Time`, and the UTF-8 bytes of `Source`,
/// `DetailType`, `Detail` and each of `Resources`.
fn entry_size(entry: &Value) -> usize {
    let text = |name: &str| entry.get(name).and_then(Value::as_str).map_or(0, str::len);
    let time = if entry.get("Time").is_some_and(|t| !t.is_null()) {
        14
    } else {
        0
    };
    let resources: usize = entry
        .get("Resources")
        .and_then(Value::as_array)
        .map_or(0, |items| {
            items.iter().filter_map(Value::as_str).map(str::len).sum()
        });
    time + text("Source") + text("DetailType") + text("Detail") + resources
}

/// The event's `time`: the entry's `Time` (epoch seconds, as the SDKs send it, or RFC 3339
/// text), else now.
fn time(value: Option<&Value>) -> Option<String> {
    use chrono::{DateTime, SecondsFormat, Utc};
    let time: DateTime<Utc> = match value {
        None | Some(Value::Null) => Utc::now(),
        Some(Value::Number(seconds)) => {
            let seconds = seconds.as_f64()?;
            #[allow(clippy::cast_possible_truncation)] // whole seconds; the range is checked
            DateTime::from_timestamp(seconds.floor() as i64, 0)?
        }
        Some(Value::String(text)) => DateTime::parse_from_rfc3339(text).ok()?.with_timezone(&Utc),
        Some(_) => return None,
    };
    Some(time.to_rfc3339_opts(SecondsFormat::Secs, true))
}

fn invalid(name: &str) -> EntryError {
    (
        "InvalidArgument",
        format!("Parameter {name} is not valid. Reason: {name} is a required argument."),
    )
}

fn entry_error(error: ApiError) -> EntryError {
    (error.code, error.message)
}

/// `TestEventPattern`, with the project's matcher and AWS's error texts.
pub(super) fn test_event_pattern(request: &Map<String, Value>) -> Result<Value, ApiError> {
    let params = Params(request);
    let pattern = params.required("EventPattern")?;
    let event = params.required("Event")?;
    match test(pattern, event, &Limits::default(), false) {
        Ok(result) => Ok(json!({ "Result": result })),
        Err(Failure::Pattern(error)) => Err(ApiError::invalid_pattern(error.to_string())),
        Err(Failure::Event) => Err(ApiError::validation("Parameter Event is not valid.")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn sizes_are_counted_as_aws_counts_them() {
        let entry = json!({"Time": 1, "Source": "ab", "DetailType": "c", "Detail": "{}", "Resources": ["xyz"]});
        assert_eq!(entry_size(&entry), 14 + 2 + 1 + 2 + 3);
    }

    #[test]
    fn entry_counts_are_limited() {
        let request: Map<String, Value> =
            serde_json::from_value(json!({"Entries": vec![json!({}); 11]})).unwrap();
        let error = entries(&request, "PutEventsRequestEntry", MAX_PUT_EVENTS).unwrap_err();
        assert_eq!(error.code, "ValidationException");
        assert!(
            error.message.ends_with("less than or equal to 10"),
            "{}",
            error.message
        );
        let big = "x".repeat(MAX_ENTRIES_BYTES);
        let request: Map<String, Value> = serde_json::from_value(
            json!({"Entries": [{"Source": "s", "DetailType": "t", "Detail": big}]}),
        )
        .unwrap();
        let error = entries(&request, "PutEventsRequestEntry", MAX_PUT_EVENTS).unwrap_err();
        assert!(
            error.message.starts_with("Total size of the entries"),
            "{}",
            error.message
        );
    }

    #[test]
    fn times_are_epoch_seconds_or_rfc3339() {
        assert_eq!(time(Some(&json!(0))).unwrap(), "1970-01-01T00:00:00Z");
        assert_eq!(
            time(Some(&json!("2026-11-30T10:00:00+01:00"))).unwrap(),
            "2026-11-30T09:00:00Z"
        );
        assert!(time(Some(&json!("yesterday"))).is_none());
        assert!(time(None).is_some());
    }

    #[test]
    fn patterns_are_tested_with_aws_errors() {
        let event = r#"{"id":"1","account":"1","source":"a","time":"t","region":"r","detail-type":"d","detail":{}}"#;
        let ok: Map<String, Value> =
            serde_json::from_value(json!({"EventPattern": r#"{"source":["a"]}"#, "Event": event}))
                .unwrap();
        assert_eq!(test_event_pattern(&ok).unwrap(), json!({"Result": true}));
        let bad: Map<String, Value> =
            serde_json::from_value(json!({"EventPattern": r#"{"source":[]}"#, "Event": event}))
                .unwrap();
        let error = test_event_pattern(&bad).unwrap_err();
        assert_eq!(error.code, "InvalidEventPatternException");
        assert_eq!(
            error.message,
            "Event pattern is not valid. Reason: Empty arrays are not allowed"
        );
    }
}

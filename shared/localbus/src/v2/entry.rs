//! What `send` publishes to a Custom Event Bus, read from `--event` (JSON text or
//! `file://PATH`), in one of three shapes:
//!
//! * a PutEvents request: `{"Entries": [entry, …], "DeduplicationConfiguration":
//!   {"DeduplicationType": "CONTENT_BASED"}}` (1-100 entries; `EventBusArn` is ignored, the bus
//!   is `--event-bus-name`);
//! * one PutEvents entry: `{"Source", "DetailType", "Detail", "Time"?, "Resources"?,
//!   "SystemMetadata"?: {"EventGroupId"?, "DeduplicationId"?}}`; `Detail` is JSON text as the
//!   API takes it (a JSON object is accepted too, for convenience);
//! * a Classic envelope (`source`, `detail-type`, `detail`, as the sample events are): an
//!   entry without event group or de-duplication id.

use super::V2Error;
use serde_json::Value;

/// One PutEvents entry, checked as the API checks it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    /// `Source` (1-256 characters, `aws.` reserved).
    pub(crate) source: String,
    /// `DetailType` (1-128 characters).
    pub(crate) detail_type: String,
    /// `Detail`, as JSON text (`{}` when absent).
    pub(crate) detail: String,
    /// `Time`, RFC 3339, when given.
    pub(crate) time: Option<String>,
    /// `Resources`.
    pub(crate) resources: Vec<String>,
    /// `SystemMetadata.EventGroupId`.
    pub(crate) event_group_id: Option<String>,
    /// `SystemMetadata.DeduplicationId`.
    pub(crate) deduplication_id: Option<String>,
}

/// One PutEvents call.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Request {
    /// The entries, in order.
    pub(crate) entries: Vec<Entry>,
    /// `DeduplicationConfiguration.DeduplicationType: CONTENT_BASED`.
    pub(crate) content_based: bool,
}

fn invalid(name: &str, reason: impl std::fmt::Display) -> V2Error {
    V2Error::Entry(format!("{name}: {reason}"))
}

/// Reads one `--event` value (already loaded as text); `name` names it in errors.
pub(crate) fn parse(name: &str, text: &str) -> Result<Request, V2Error> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| invalid(name, format!("not JSON: {e}")))?;
    let Value::Object(map) = &value else {
        return Err(invalid(name, "not a JSON object"));
    };
    if let Some(entries) = map.get("Entries") {
        let Value::Array(entries) = entries else {
            return Err(invalid(name, "Entries must be a list"));
        };
        if entries.is_empty() || entries.len() > 100 {
            return Err(invalid(
                name,
                format!(
                    "PutEvents takes 1-100 entries, the request has {}",
                    entries.len()
                ),
            ));
        }
        let content_based = match map
            .get("DeduplicationConfiguration")
            .map(|c| c.get("DeduplicationType"))
        {
            None => false,
            Some(Some(Value::String(kind))) if kind == "CONTENT_BASED" => true,
            Some(other) => {
                return Err(invalid(
                    name,
                    format!(
                        "DeduplicationConfiguration.DeduplicationType must be CONTENT_BASED, not {}",
                        other.map_or("missing".to_owned(), Value::to_string)
                    ),
                ));
            }
        };
        let entries = entries
            .iter()
            .enumerate()
            .map(|(index, e)| entry(&format!("{name}: Entries[{index}]"), e))
            .collect::<Result<_, _>>()?;
        return Ok(Request {
            entries,
            content_based,
        });
    }
    let entry = if map.contains_key("Source") {
        entry(name, &value)?
    } else if map.contains_key("source") {
        classic(name, &value)?
    } else {
        return Err(invalid(
            name,
            "neither a PutEvents request (Entries), an entry (Source, DetailType, Detail) nor an event (source, detail-type, detail)",
        ));
    };
    Ok(Request {
        entries: vec![entry],
        content_based: false,
    })
}

fn text_field<'v>(value: &'v Value, key: &str, name: &str) -> Result<Option<&'v str>, V2Error> {
    match value.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(invalid(name, format!("{key} must be a string"))),
    }
}

fn bounded(text: &str, key: &str, max: usize, name: &str) -> Result<String, V2Error> {
    let length = text.chars().count();
    if length == 0 || length > max {
        return Err(invalid(
            name,
            format!("{key} must be 1-{max} characters, is {length}"),
        ));
    }
    Ok(text.to_owned())
}

/// One PutEvents entry (a JSON object) checked as the API checks it; `name` names it in errors.
pub(crate) fn entry(name: &str, value: &Value) -> Result<Entry, V2Error> {
    let source =
        text_field(value, "Source", name)?.ok_or_else(|| invalid(name, "Source is missing"))?;
    if source.starts_with("aws.") {
        return Err(invalid(
            name,
            "Source values starting with `aws.` are reserved for AWS services",
        ));
    }
    let detail_type = text_field(value, "DetailType", name)?
        .ok_or_else(|| invalid(name, "DetailType is missing"))?;
    let detail = match value.get("Detail") {
        None | Some(Value::Null) => "{}".to_owned(),
        Some(Value::String(text)) => text.clone(),
        Some(object @ Value::Object(_)) => object.to_string(),
        Some(_) => return Err(invalid(name, "Detail must be JSON text")),
    };
    if !matches!(serde_json::from_str::<Value>(&detail), Ok(Value::Object(_))) {
        return Err(invalid(name, "Detail is not a JSON object"));
    }
    let resources = match value.get("Resources") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) if items.len() <= 100 => items
            .iter()
            .map(|r| r.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| invalid(name, "Resources must be strings"))?,
        Some(_) => return Err(invalid(name, "Resources must be a list of up to 100 ARNs")),
    };
    let system = value.get("SystemMetadata").unwrap_or(&Value::Null);
    let id = |key: &str| -> Result<Option<String>, V2Error> {
        text_field(system, key, name)?
            .map(|text| bounded(text, &format!("SystemMetadata.{key}"), 128, name))
            .transpose()
    };
    Ok(Entry {
        source: bounded(source, "Source", 256, name)?,
        detail_type: bounded(detail_type, "DetailType", 128, name)?,
        detail,
        time: text_field(value, "Time", name)?.map(str::to_owned),
        resources,
        event_group_id: id("EventGroupId")?,
        deduplication_id: id("DeduplicationId")?,
    })
}

/// A Classic envelope as an entry: its source, detail-type, detail, time and resources.
fn classic(name: &str, event: &Value) -> Result<Entry, V2Error> {
    let mut entry = serde_json::Map::new();
    for (from, to) in [
        ("source", "Source"),
        ("detail-type", "DetailType"),
        ("detail", "Detail"),
        ("time", "Time"),
        ("resources", "Resources"),
    ] {
        if let Some(value) = event.get(from) {
            entry.insert(to.to_owned(), value.clone());
        }
    }
    if event.get("detail").is_none() {
        return Err(invalid(name, "the event has no detail"));
    }
    self::entry(name, &Value::Object(entry))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn a_request_an_entry_and_a_classic_event_are_read() {
        let request = parse(
            "r",
            r#"{"Entries": [{"Source": "shop", "DetailType": "OrderCreated", "Detail": "{\"order_id\": \"o-1\"}",
                "SystemMetadata": {"EventGroupId": "o-1", "DeduplicationId": "d-1"}}],
               "DeduplicationConfiguration": {"DeduplicationType": "CONTENT_BASED"}}"#,
        )
        .unwrap();
        assert!(request.content_based);
        let entry = &request.entries[0];
        assert_eq!(entry.event_group_id.as_deref(), Some("o-1"));
        assert_eq!(entry.deduplication_id.as_deref(), Some("d-1"));

        let single = parse(
            "e",
            r#"{"Source": "shop", "DetailType": "T", "Detail": {"a": 1}}"#,
        )
        .unwrap();
        assert!(!single.content_based);
        assert_eq!(single.entries[0].detail, r#"{"a":1}"#);

        let classic = parse(
            "c",
            r#"{"source": "shop", "detail-type": "T", "detail": {"a": 1}, "time": "2026-01-01T00:00:00Z", "id": "x"}"#,
        )
        .unwrap();
        let entry = &classic.entries[0];
        assert_eq!(entry.time.as_deref(), Some("2026-01-01T00:00:00Z"));
        assert_eq!(entry.event_group_id, None);
    }

    #[test]
    fn what_putevents_rejects_is_an_error() {
        for text in [
            r#"{"Entries": []}"#,
            r#"{"Source": "aws.ec2", "DetailType": "T"}"#,
            r#"{"Source": "shop"}"#,
            r#"{"Source": "shop", "DetailType": "T", "Detail": "[1]"}"#,
            r#"{"Source": "shop", "DetailType": "T", "SystemMetadata": {"EventGroupId": ""}}"#,
            r#"{"Entries": [{"Source": "s", "DetailType": "T"}], "DeduplicationConfiguration": {"DeduplicationType": "ID"}}"#,
            r#"{"order_id": "o-1"}"#,
            "[]",
        ] {
            assert!(matches!(parse("x", text), Err(V2Error::Entry(_))), "{text}");
        }
    }
}

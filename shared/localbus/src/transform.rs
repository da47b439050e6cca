//! What a rule target receives: the event, or its `Input`, `InputPath` or `InputTransformer`,
//! applied as EventBridge applies them (the facts are in the reference's events.md §6).
//!
//! * `Input`: the constant JSON, nothing from the event.
//! * `InputPath`: the JSON value a path selects (`$.detail`, `$.detail.items[0].sku`); a string
//!   is delivered as a JSON string, quotes included.
//! * `InputTransformer`: `InputPathsMap` variables and the reserved `aws.events.*` ones are put
//!   into `InputTemplate`:
//!   - a template that is one quoted string produces a JSON string; values go in as raw text,
//!     objects and lists without quotes (`{acc_id:0a78,sf_id:baz}`, `[HIGH]`), missing values as
//!     nothing;
//!   - in a JSON template an unquoted `<var>` inserts the JSON value and a quoted `"<var>"` the raw
//!     text, which for an object or a list gives invalid JSON: EventBridge then drops the event,
//!     and this module reports it as an error instead;
//!   - a placeholder neither defined nor reserved is rejected as PutTargets rejects it.

use serde_json::{Map, Value};
use std::fmt;

/// Why a target's input cannot be produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TransformError {
    /// The template uses a placeholder that is neither in `InputPathsMap` nor reserved
    /// (PutTargets rejects it).
    UndefinedPlaceholder { target: String, name: String },
    /// A JSONPath outside the syntax EventBridge supports.
    BadPath(String),
    /// `Input` is not JSON.
    BadConstant(String),
    /// The transformed input is not valid JSON: EventBridge would not deliver the event.
    InvalidOutput { target: String, output: String },
    /// An input option this tool does not know.
    Unsupported(String),
}

impl fmt::Display for TransformError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UndefinedPlaceholder { target, name } => write!(
                f,
                "ValidationException: InputTemplate for target {target} contains invalid placeholder {name}."
            ),
            Self::BadPath(path) => write!(f, "unsupported JSONPath {path:?}"),
            Self::BadConstant(error) => write!(f, "Input is not valid JSON: {error}"),
            Self::Unsupported(what) => write!(f, "unsupported target input: {what}"),
            Self::InvalidOutput { target, output } => write!(
                f,
                "the transformed input for target {target} is not valid JSON, so EventBridge would not deliver the event: {output}"
            ),
        }
    }
}

/// The rule a target belongs to, for the reserved variables.
pub(crate) struct RuleContext<'a> {
    /// The rule's name.
    pub(crate) rule_name: &'a str,
    /// The bus name (`default` for the default bus).
    pub(crate) bus_name: &'a str,
    /// The target's id, for error messages.
    pub(crate) target_id: &'a str,
    /// When the event was received (ISO 8601).
    pub(crate) ingestion_time: &'a str,
}

impl RuleContext<'_> {
    fn rule_arn(&self, event: &Value) -> String {
        let region = event
            .get("region")
            .and_then(Value::as_str)
            .unwrap_or("us-east-1");
        let account = event
            .get("account")
            .and_then(Value::as_str)
            .unwrap_or("123456789012");
        if self.bus_name == "default" {
            format!("arn:aws:events:{region}:{account}:rule/{}", self.rule_name)
        } else {
            format!(
                "arn:aws:events:{region}:{account}:rule/{}/{}",
                self.bus_name, self.rule_name
            )
        }
    }
}

/// `InputPath`: the value at `path`, or `None` when the path selects nothing.
pub(crate) fn input_path(event: &Value, path: &str) -> Result<Option<Value>, TransformError> {
    select(event, path)
}

/// `Input`: the constant.
pub(crate) fn constant(input: &str) -> Result<Value, TransformError> {
    serde_json::from_str(input).map_err(|error| TransformError::BadConstant(error.to_string()))
}

/// `InputTransformer`.
pub(crate) fn transform(
    event: &Value,
    paths: &std::collections::BTreeMap<String, String>,
    template: &str,
    rule: &RuleContext<'_>,
) -> Result<Value, TransformError> {
    let mut variables: Map<String, Value> = Map::new();
    for (name, path) in paths {
        if let Some(value) = select(event, path)? {
            variables.insert(name.clone(), value);
        }
    }
    let lookup = |name: &str| -> Result<Option<Value>, TransformError> {
        if let Some(value) = variables.get(name) {
            return Ok(Some(value.clone()));
        }
        if paths.contains_key(name) {
            return Ok(None); // defined, but its path matched nothing
        }
        match name {
            "aws.events.rule-arn" => Ok(Some(Value::String(rule.rule_arn(event)))),
            "aws.events.rule-name" => Ok(Some(Value::String(rule.rule_name.to_owned()))),
            "aws.events.event.ingestion-time" => {
                Ok(Some(Value::String(rule.ingestion_time.to_owned())))
            }
            "aws.events.event" => Ok(Some(event_without_detail(event, rule.ingestion_time))),
            "aws.events.event.json" => Ok(Some(event.clone())),
            _ => Err(TransformError::UndefinedPlaceholder {
                target: rule.target_id.to_owned(),
                name: name.to_owned(),
            }),
        }
    };
    let trimmed = template.trim();
    let string_template = trimmed.len() >= 2 && trimmed.starts_with('"') && trimmed.ends_with('"');
    let mut output = String::with_capacity(template.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = template;
    while let Some(c) = rest.chars().next() {
        if c == '<'
            && let Some((name, after)) = placeholder(rest)
        {
            let value = lookup(name)?;
            if string_template {
                output.push_str(&raw_text(value.as_ref()));
            } else if in_string {
                // A string's text goes in as is; an object or list goes in as JSON, whose
                // quotes break the string: the output is invalid, as on EventBridge.
                match &value {
                    Some(Value::String(text)) => output.push_str(text),
                    Some(other) => output.push_str(&other.to_string()),
                    None => {}
                }
            } else {
                output
                    .push_str(&value.map_or_else(|| "null".to_owned(), |value| value.to_string()));
            }
            rest = after;
            continue;
        }
        if escaped {
            escaped = false;
        } else if c == '\\' && in_string {
            escaped = true;
        } else if c == '"' {
            in_string = !in_string;
        }
        output.push(c);
        rest = &rest[c.len_utf8()..];
    }
    serde_json::from_str(&output).map_err(|_| TransformError::InvalidOutput {
        target: rule.target_id.to_owned(),
        output,
    })
}

/// A `<name>` placeholder at the start of `text`: its name and the text after it.
fn placeholder(text: &str) -> Option<(&str, &str)> {
    let end = text.find('>')?;
    let name = &text[1..end];
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    valid.then(|| (name, &text[end + 1..]))
}

/// A value as raw text: strings without quotes, objects and lists without quotes inside.
fn raw_text(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(items)) => {
            let items: Vec<String> = items.iter().map(|item| raw_text(Some(item))).collect();
            format!("[{}]", items.join(","))
        }
        Some(Value::Object(fields)) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|(key, value)| format!("{key}:{}", raw_text(Some(value))))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Some(other) => other.to_string(),
    }
}

/// `<aws.events.event>`: the envelope without `detail`, keys as AWS delivers them.
fn event_without_detail(event: &Value, ingestion_time: &str) -> Value {
    let field = |name: &str| event.get(name).cloned().unwrap_or(Value::Null);
    serde_json::json!({
        "id": field("id"),
        "account": field("account"),
        "detailType": field("detail-type"),
        "time": ingestion_time,
        "source": field("source"),
        "region": field("region"),
        "resources": event.get("resources").cloned().unwrap_or_else(|| Value::Array(Vec::new())),
        "version": field("version"),
    })
}

/// One step of a JSONPath.
enum Step {
    Field(String),
    Index(usize),
    Wildcard,
}

fn parse_path(path: &str) -> Result<Vec<Step>, TransformError> {
    let bad = || TransformError::BadPath(path.to_owned());
    let mut rest = path.strip_prefix('$').ok_or_else(bad)?;
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            let name = &after[..end];
            if name.is_empty() {
                return Err(bad());
            }
            steps.push(if name == "*" {
                Step::Wildcard
            } else {
                Step::Field(name.to_owned())
            });
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']').ok_or_else(bad)?;
            let inside = after[..end].trim();
            steps.push(if inside == "*" {
                Step::Wildcard
            } else if let Ok(index) = inside.parse::<usize>() {
                Step::Index(index)
            } else {
                let name = inside.trim_matches(|c| c == '\'' || c == '"');
                Step::Field(name.to_owned())
            });
            rest = &after[end + 1..];
        } else {
            return Err(bad());
        }
    }
    Ok(steps)
}

/// The value a path selects; a wildcard gives the list of what it matched.
fn select(event: &Value, path: &str) -> Result<Option<Value>, TransformError> {
    let steps = parse_path(path)?;
    let mut current: Vec<&Value> = vec![event];
    let mut wildcard = false;
    for step in &steps {
        let mut next = Vec::new();
        for value in current {
            match step {
                Step::Field(name) => next.extend(value.get(name.as_str())),
                Step::Index(index) => next.extend(value.get(*index)),
                Step::Wildcard => {
                    wildcard = true;
                    match value {
                        Value::Array(items) => next.extend(items.iter()),
                        Value::Object(fields) => next.extend(fields.values()),
                        _ => {}
                    }
                }
            }
        }
        current = next;
    }
    Ok(match (wildcard, current.as_slice()) {
        (false, [one]) => Some((*one).clone()),
        (false, _) => None,
        (true, values) => Some(Value::Array(
            values.iter().map(|value| (*value).clone()).collect(),
        )),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    /// The event of AWS's recorded transformer cases (events.md §6.2).
    fn event() -> Value {
        json!({"version": "0", "id": "e-1", "detail-type": "core.update-account-command", "source": "core.update-account-command",
               "account": "111122223333", "time": "2024-01-01T00:00:00Z", "region": "us-east-1", "resources": ["arn:1"],
               "detail": {"payload": {"acc_id": "0a787ecb-4015", "sf_id": "baz"}, "listsingle": ["HIGH"],
                          "listmulti": ["ACTIVE", "INACTIVE"], "valid": true}})
    }

    fn rule() -> RuleContext<'static> {
        RuleContext {
            rule_name: "r",
            bus_name: "orders",
            target_id: "t1",
            ingestion_time: "2024-01-01T00:00:01Z",
        }
    }

    fn paths(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn input_path_selects_values_strings_keep_their_quotes() {
        assert_eq!(
            input_path(&event(), "$.detail.payload.sf_id").unwrap(),
            Some(json!("baz"))
        );
        assert_eq!(
            input_path(&event(), "$.detail").unwrap().unwrap()["valid"],
            json!(true)
        );
        assert_eq!(
            input_path(&event(), "$.resources[0]").unwrap(),
            Some(json!("arn:1"))
        );
        assert_eq!(input_path(&event(), "$.detail.missing").unwrap(), None);
        assert!(input_path(&event(), "detail").is_err());
    }

    #[test]
    fn string_template_renders_raw_text() {
        let map = paths(&[
            ("valid", "$.detail.valid"),
            ("payload", "$.detail.payload"),
            ("multi", "$.detail.listmulti"),
            ("gone", "$.detail.nothing"),
        ]);
        let out = transform(
            &event(),
            &map,
            r#""Command is <valid>! <payload> <multi> [<gone>]""#,
            &rule(),
        )
        .unwrap();
        assert_eq!(
            out,
            json!("Command is true! {acc_id:0a787ecb-4015,sf_id:baz} [ACTIVE,INACTIVE] []")
        );
    }

    #[test]
    fn json_template_inserts_values_unquoted_and_text_quoted() {
        let map = paths(&[
            ("userId", "$.detail.payload.acc_id"),
            ("single", "$.detail.listsingle"),
            ("payload", "$.detail.payload"),
        ]);
        let template = r#"{"id": "<userId>", "path": "users/<userId>/second/<userId>", "singlelistitem": <single>, "nested": <payload>}"#;
        let out = transform(&event(), &map, template, &rule()).unwrap();
        assert_eq!(
            out,
            json!({"id": "0a787ecb-4015", "path": "users/0a787ecb-4015/second/0a787ecb-4015",
                               "singlelistitem": ["HIGH"], "nested": {"acc_id": "0a787ecb-4015", "sf_id": "baz"}})
        );
    }

    #[test]
    fn quoted_object_is_not_delivered_and_undefined_placeholders_are_rejected() {
        let map = paths(&[("payload", "$.detail.payload")]);
        let error = transform(&event(), &map, r#"{"p": "<payload>"}"#, &rule()).unwrap_err();
        assert!(
            matches!(error, TransformError::InvalidOutput { .. }),
            "{error}"
        );
        let error = transform(&event(), &map, r#"{"p": <notdefinedkey>}"#, &rule()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "ValidationException: InputTemplate for target t1 contains invalid placeholder notdefinedkey."
        );
    }

    #[test]
    fn reserved_variables() {
        let out = transform(
            &event(),
            &BTreeMap::new(),
            r#"{"arn": "<aws.events.rule-arn>", "name": "<aws.events.rule-name>", "at": "<aws.events.event.ingestion-time>", "event": <aws.events.event>, "full": <aws.events.event.json>}"#,
            &rule(),
        )
        .unwrap();
        assert_eq!(
            out["arn"],
            "arn:aws:events:us-east-1:111122223333:rule/orders/r"
        );
        assert_eq!(out["name"], "r");
        assert_eq!(out["at"], "2024-01-01T00:00:01Z");
        assert_eq!(out["event"]["detailType"], "core.update-account-command");
        assert!(out["event"].get("detail").is_none());
        assert_eq!(out["full"], event());
    }

    #[test]
    fn constant_input() {
        assert_eq!(constant(r#"{"fixed": 1}"#).unwrap(), json!({"fixed": 1}));
        assert!(constant("{nope").is_err());
    }
}

//! Functions, with SAM's `Globals` applied.

use crate::model::{Destination, EventSource, Function, FunctionEvent};
use crate::resources::{Resources, map_prop, str_prop, u32_prop};
use crate::{Expr, TemplateError};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

const SAM_FUNCTION: &str = "AWS::Serverless::Function";
const LAMBDA_FUNCTION: &str = "AWS::Lambda::Function";

/// Whether a mapping is an intrinsic function (`{"Ref": ..}`, `{"Fn::..": ..}`), which SAM
/// treats as a single value when merging `Globals`.
fn is_intrinsic(map: &Map<String, Value>) -> bool {
    map.len() == 1
        && map
            .keys()
            .all(|k| k == "Ref" || k == "Condition" || k.starts_with("Fn::"))
}

/// SAM's `Globals` merge: mappings merge key by key (the function wins), lists concatenate
/// (globals first), anything else is replaced by the function's value.
pub(crate) fn merge_globals(global: &Value, local: &Value) -> Value {
    match (global, local) {
        (Value::Object(g), Value::Object(l)) if !is_intrinsic(g) && !is_intrinsic(l) => {
            let mut merged = g.clone();
            for (key, value) in l {
                let value = match g.get(key) {
                    Some(global_value) => merge_globals(global_value, value),
                    None => value.clone(),
                };
                merged.insert(key.clone(), value);
            }
            Value::Object(merged)
        }
        (Value::Array(g), Value::Array(l)) => Value::Array(g.iter().chain(l).cloned().collect()),
        (_, local) => local.clone(),
    }
}

pub(crate) fn functions(
    resources: &Resources<'_>,
    globals: Option<&Value>,
) -> Result<Vec<Function>, TemplateError> {
    let mut functions = Vec::new();
    for item in resources.of_type(&[SAM_FUNCTION, LAMBDA_FUNCTION]) {
        let (id, resource, props) = item?;
        let is_sam = resource.get("Type").and_then(Value::as_str) == Some(SAM_FUNCTION);
        let merged = match globals {
            Some(globals) if is_sam => merge_globals(globals, &Value::Object(props.clone())),
            _ => Value::Object(props.clone()),
        };
        let Value::Object(props) = merged else {
            return Err(TemplateError::invalid(
                format!("Resources.{id}.Properties"),
                "must be a mapping",
            ));
        };
        functions.push(function(id, resource, &props, is_sam, resources)?);
    }
    Ok(functions)
}

fn function(
    id: &str,
    resource: &Value,
    props: &Map<String, Value>,
    is_sam: bool,
    resources: &Resources<'_>,
) -> Result<Function, TemplateError> {
    let path = format!("Resources.{id}.Properties");
    let metadata = resource.get("Metadata");
    let build_method = metadata
        .and_then(|m| m.get("BuildMethod"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let binary = metadata
        .and_then(|m| m.get("BuildProperties"))
        .and_then(|p| p.get("Binary"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let environment = match map_prop(props, "Environment", &path)? {
        None => BTreeMap::new(),
        Some(env) => map_prop(env, "Variables", &format!("{path}.Environment"))?
            .map(|vars| {
                vars.iter()
                    .map(|(name, value)| (name.clone(), Expr::from_json(value)))
                    .collect()
            })
            .unwrap_or_default(),
    };
    let architectures = props
        .get("Architectures")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let invoke_config = map_prop(props, "EventInvokeConfig", &path)?;
    let maximum_retry_attempts = match invoke_config {
        Some(config) => u32_prop(
            config,
            "MaximumRetryAttempts",
            &format!("{path}.EventInvokeConfig"),
        )?,
        None => None,
    };
    let log_format = match map_prop(props, "LoggingConfig", &path)? {
        Some(config) => {
            str_prop(config, "LogFormat", &format!("{path}.LoggingConfig"))?.map(str::to_owned)
        }
        None => None,
    };
    let on_failure = invoke_config
        .and_then(|c| c.get("DestinationConfig"))
        .and_then(|c| c.get("OnFailure"))
        .and_then(|c| c.get("Destination"))
        .map(|arn| resources.destination(arn));
    let events = if is_sam {
        events(id, props, &path)?
    } else {
        Vec::new()
    };
    Ok(Function {
        logical_id: id.to_owned(),
        binary,
        build_method,
        runtime: str_prop(props, "Runtime", &path)?.map(str::to_owned),
        handler: str_prop(props, "Handler", &path)?.map(str::to_owned),
        architectures,
        environment,
        events: events
            .into_iter()
            .map(|(name, source)| FunctionEvent {
                name,
                source: resolve_queue(source, resources),
            })
            .collect(),
        on_failure,
        maximum_retry_attempts,
        timeout: u32_prop(props, "Timeout", &path)?,
        memory_size: u32_prop(props, "MemorySize", &path)?,
        log_format,
    })
}

fn resolve_queue(source: EventSource, resources: &Resources<'_>) -> EventSource {
    match source {
        EventSource::Sqs {
            queue_arn,
            batch_size,
            report_batch_item_failures,
            ..
        } => {
            let queue = match resources.destination(&expr_json(&queue_arn)) {
                Destination::Queue(id) => Some(id),
                _ => None,
            };
            EventSource::Sqs {
                queue,
                queue_arn,
                batch_size,
                report_batch_item_failures,
            }
        }
        other => other,
    }
}

fn expr_json(expr: &Expr) -> Value {
    match expr {
        Expr::Ref(name) => serde_json::json!({ "Ref": name }),
        Expr::GetAtt {
            resource,
            attribute,
        } => serde_json::json!({ "Fn::GetAtt": [resource, attribute] }),
        Expr::Literal(text) | Expr::Sub(text) => Value::String(text.clone()),
        Expr::Other(value) => value.clone(),
    }
}

fn events(
    id: &str,
    props: &Map<String, Value>,
    path: &str,
) -> Result<Vec<(String, EventSource)>, TemplateError> {
    let Some(events) = map_prop(props, "Events", path)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (name, event) in events {
        let event_path = format!("{path}.Events.{name}");
        let Value::Object(event) = event else {
            return Err(TemplateError::invalid(event_path, "must be a mapping"));
        };
        let kind = str_prop(event, "Type", &event_path)?
            .ok_or_else(|| TemplateError::invalid(&event_path, "Type is missing"))?;
        let empty = Map::new();
        let event_props = map_prop(event, "Properties", &event_path)?.unwrap_or(&empty);
        let props_path = format!("{event_path}.Properties");
        let source = match kind {
            "EventBridgeRule" | "CloudWatchEvent" => EventSource::EventBridgeRule {
                rule: format!("{id}{name}"),
            },
            "SQS" => {
                let queue = event_props
                    .get("Queue")
                    .ok_or_else(|| TemplateError::invalid(&props_path, "Queue is missing"))?;
                let report_batch_item_failures = event_props
                    .get("FunctionResponseTypes")
                    .and_then(Value::as_array)
                    .is_some_and(|types| types.iter().any(|t| t == "ReportBatchItemFailures"));
                EventSource::Sqs {
                    queue: None,
                    queue_arn: Expr::from_json(queue),
                    batch_size: u32_prop(event_props, "BatchSize", &props_path)?,
                    report_batch_item_failures,
                }
            }
            other => EventSource::Other(other.to_owned()),
        };
        out.push((name.clone(), source));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use serde_json::json;

    #[test]
    fn globals_merge_like_sam() {
        let global = json!({"Timeout": 10, "Environment": {"Variables": {"A": {"Ref": "T"}, "B": "g"}}, "Layers": ["l1"]});
        let local = json!({"Timeout": 3, "Environment": {"Variables": {"B": "f", "C": "c"}}, "Layers": ["l2"]});
        assert_eq!(
            merge_globals(&global, &local),
            json!({"Timeout": 3, "Environment": {"Variables": {"A": {"Ref": "T"}, "B": "f", "C": "c"}}, "Layers": ["l1", "l2"]})
        );
        // An intrinsic replaces, it does not merge.
        assert_eq!(
            merge_globals(&json!({"Ref": "A"}), &json!({"Fn::Sub": "x"})),
            json!({"Fn::Sub": "x"})
        );
    }
}

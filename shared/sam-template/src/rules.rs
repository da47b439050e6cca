//! Rules: `AWS::Events::Rule` resources and SAM `EventBridgeRule` function events.

use crate::model::{
    Bus, BusRef, DeadLetter, Delivery, Destination, RetryPolicy, Rule, RuleOrigin, RuleState,
    Target, TargetInput,
};
use crate::resources::{Resources, map_prop, str_prop, u32_prop};
use crate::{Expr, TemplateError};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub(crate) fn rules(resources: &Resources<'_>, buses: &[Bus]) -> Result<Vec<Rule>, TemplateError> {
    let mut rules = Vec::new();
    for item in resources.of_type(&["AWS::Events::Rule"]) {
        let (id, _, props) = item?;
        rules.push(resource_rule(id, props, resources, buses)?);
    }
    for item in resources.of_type(&["AWS::Serverless::Function"]) {
        let (function, _, props) = item?;
        let path = format!("Resources.{function}.Properties");
        let Some(events) = map_prop(props, "Events", &path)? else {
            continue;
        };
        for (name, event) in events {
            let is_rule = matches!(
                event.get("Type").and_then(Value::as_str),
                Some("EventBridgeRule" | "CloudWatchEvent")
            );
            if !is_rule {
                continue;
            }
            let empty = Map::new();
            let event_props = event
                .get("Properties")
                .and_then(Value::as_object)
                .unwrap_or(&empty);
            let event_path = format!("{path}.Events.{name}.Properties");
            rules.push(event_rule(
                function,
                name,
                event_props,
                &event_path,
                resources,
                buses,
            )?);
        }
    }
    rules.sort_by(|a, b| a.logical_id.cmp(&b.logical_id));
    Ok(rules)
}

fn resource_rule(
    id: &str,
    props: &Map<String, Value>,
    resources: &Resources<'_>,
    buses: &[Bus],
) -> Result<Rule, TemplateError> {
    let path = format!("Resources.{id}.Properties");
    let pattern = pattern(props.get("EventPattern"), &format!("{path}.EventPattern"))?;
    let state = match props.get("State") {
        None => RuleState::Enabled,
        Some(Value::String(s)) => RuleState::from_text(s),
        Some(other) => RuleState::Other(other.to_string()),
    };
    let mut targets = Vec::new();
    if let Some(list) = props.get("Targets") {
        let Value::Array(list) = list else {
            return Err(TemplateError::invalid(
                format!("{path}.Targets"),
                "must be a list",
            ));
        };
        for (index, target) in list.iter().enumerate() {
            let target_path = format!("{path}.Targets[{index}]");
            let Value::Object(target) = target else {
                return Err(TemplateError::invalid(target_path, "must be a mapping"));
            };
            let arn = target
                .get("Arn")
                .ok_or_else(|| TemplateError::invalid(&target_path, "Arn is missing"))?;
            let destination = resources.destination(arn);
            let target_id = str_prop(target, "Id", &target_path)?
                .ok_or_else(|| TemplateError::invalid(&target_path, "Id is missing"))?;
            targets.push(Target {
                id: target_id.to_owned(),
                delivery: delivery(&destination, arn),
                destination,
                input: input(target, target_id, &target_path)?,
                retry_policy: retry_policy(target, &target_path)?,
                dead_letter: dead_letter(target, &target_path, resources)?,
            });
        }
    }
    Ok(Rule {
        logical_id: id.to_owned(),
        origin: RuleOrigin::Resource,
        bus: bus_ref(props.get("EventBusName"), buses),
        pattern,
        state,
        targets,
    })
}

fn event_rule(
    function: &str,
    event: &str,
    props: &Map<String, Value>,
    path: &str,
    resources: &Resources<'_>,
    buses: &[Bus],
) -> Result<Rule, TemplateError> {
    let logical_id = format!("{function}{event}");
    let state = match (props.get("State"), props.get("Enabled")) {
        (Some(_), Some(_)) => {
            return Err(TemplateError::invalid(
                path,
                "State and Enabled exclude each other",
            ));
        }
        (Some(Value::String(s)), None) => RuleState::from_text(s),
        (Some(other), None) => RuleState::Other(other.to_string()),
        (None, Some(Value::Bool(false))) => RuleState::Disabled,
        (None, _) => RuleState::Enabled,
    };
    let target_id = props
        .get("Target")
        .and_then(|t| t.get("Id"))
        .and_then(Value::as_str)
        .map_or_else(|| format!("{logical_id}LambdaTarget"), str::to_owned);
    // SAM DeadLetterConfig: {Arn} or {Type: SQS, QueueLogicalId?} (SAM creates the queue).
    let dead_letter =
        map_prop(props, "DeadLetterConfig", path)?.map(|config| match config.get("Arn") {
            Some(arn) => queue_or_arn(arn, resources),
            None => DeadLetter::SamManaged {
                queue_logical_id: config
                    .get("QueueLogicalId")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            },
        });
    let target_input = input(props, &target_id, path)?;
    let target = Target {
        id: target_id,
        destination: Destination::Function(function.to_owned()),
        delivery: Delivery::Lambda,
        input: target_input,
        retry_policy: retry_policy(props, path)?,
        dead_letter,
    };
    Ok(Rule {
        logical_id,
        origin: RuleOrigin::FunctionEvent {
            function: function.to_owned(),
            event: event.to_owned(),
        },
        bus: bus_ref(props.get("EventBusName"), buses),
        pattern: pattern(props.get("Pattern"), &format!("{path}.Pattern"))?,
        state,
        targets: vec![target],
    })
}

/// The pattern: a mapping, or the same as JSON text.
fn pattern(value: Option<&Value>, path: &str) -> Result<Value, TemplateError> {
    let value =
        value.ok_or_else(|| TemplateError::invalid(path, "the event pattern is missing"))?;
    let value = match value {
        Value::String(text) => serde_json::from_str::<Value>(text)
            .map_err(|e| TemplateError::invalid(path, format!("not JSON: {e}")))?,
        other => other.clone(),
    };
    if value.is_object() {
        Ok(value)
    } else {
        Err(TemplateError::invalid(
            path,
            "an event pattern must be a mapping",
        ))
    }
}

fn bus_ref(name: Option<&Value>, buses: &[Bus]) -> BusRef {
    let Some(name) = name else {
        return BusRef::Default;
    };
    let expr = Expr::from_json(name);
    if let Some(id) = expr.resource()
        && buses.iter().any(|b| !b.is_default && b.logical_id == id)
    {
        return BusRef::Declared(id.to_owned());
    }
    if let Some(text) = expr.as_literal() {
        if text == crate::DEFAULT_BUS {
            return BusRef::Default;
        }
        let declared = buses
            .iter()
            .find(|b| b.name.as_ref().and_then(Expr::as_literal) == Some(text));
        if let Some(bus) = declared {
            return BusRef::Declared(bus.logical_id.clone());
        }
    }
    BusRef::External(expr)
}

fn delivery(destination: &Destination, arn: &Value) -> Delivery {
    match destination {
        Destination::Function(_) => Delivery::Lambda,
        Destination::Queue(_) => Delivery::Sqs,
        Destination::Bus(_) => Delivery::EventBus,
        Destination::Resource { .. } => Delivery::Other,
        Destination::External(_) => match arn.as_str().map(|a| a.split(':').nth(2)) {
            Some(Some("lambda")) => Delivery::Lambda,
            Some(Some("sqs")) => Delivery::Sqs,
            Some(Some("events")) => Delivery::EventBus,
            _ => Delivery::Other,
        },
    }
}

fn input(props: &Map<String, Value>, id: &str, path: &str) -> Result<TargetInput, TemplateError> {
    let set = ["Input", "InputPath", "InputTransformer"]
        .iter()
        .filter(|key| props.contains_key(**key))
        .count();
    if set > 1 {
        // PutTargets' own words (events.md §6).
        return Err(TemplateError::invalid(
            path,
            format!(
                "ValidationException: Only one of Input, InputPath, or InputTransformer must be provided for target {id}."
            ),
        ));
    }
    if let Some(text) = str_prop(props, "Input", path)? {
        return Ok(TargetInput::Constant(text.to_owned()));
    }
    if let Some(text) = str_prop(props, "InputPath", path)? {
        return Ok(TargetInput::Path(text.to_owned()));
    }
    let Some(transformer) = map_prop(props, "InputTransformer", path)? else {
        return Ok(TargetInput::Event);
    };
    let transformer_path = format!("{path}.InputTransformer");
    let template = str_prop(transformer, "InputTemplate", &transformer_path)?
        .ok_or_else(|| TemplateError::invalid(&transformer_path, "InputTemplate is missing"))?;
    let mut paths_map = BTreeMap::new();
    if let Some(map) = map_prop(transformer, "InputPathsMap", &transformer_path)? {
        for (name, json_path) in map {
            let json_path = json_path.as_str().ok_or_else(|| {
                TemplateError::invalid(
                    format!("{transformer_path}.InputPathsMap.{name}"),
                    "must be a string",
                )
            })?;
            paths_map.insert(name.clone(), json_path.to_owned());
        }
    }
    Ok(TargetInput::Transformer {
        paths_map,
        template: template.to_owned(),
    })
}

fn retry_policy(
    props: &Map<String, Value>,
    path: &str,
) -> Result<Option<RetryPolicy>, TemplateError> {
    let Some(policy) = map_prop(props, "RetryPolicy", path)? else {
        return Ok(None);
    };
    let policy_path = format!("{path}.RetryPolicy");
    Ok(Some(RetryPolicy {
        maximum_retry_attempts: u32_prop(policy, "MaximumRetryAttempts", &policy_path)?,
        maximum_event_age_in_seconds: u32_prop(policy, "MaximumEventAgeInSeconds", &policy_path)?,
    }))
}

fn dead_letter(
    props: &Map<String, Value>,
    path: &str,
    resources: &Resources<'_>,
) -> Result<Option<DeadLetter>, TemplateError> {
    let Some(config) = map_prop(props, "DeadLetterConfig", path)? else {
        return Ok(None);
    };
    let arn = config.get("Arn").ok_or_else(|| {
        TemplateError::invalid(format!("{path}.DeadLetterConfig"), "Arn is missing")
    })?;
    Ok(Some(queue_or_arn(arn, resources)))
}

fn queue_or_arn(arn: &Value, resources: &Resources<'_>) -> DeadLetter {
    match resources.destination(arn) {
        Destination::Queue(id) => DeadLetter::Queue(id),
        _ => DeadLetter::Arn(Expr::from_json(arn)),
    }
}

//! The operations that create, describe and list buses, rules and partner event sources. Rules
//! are the template's (named by logical id); buses are the template's and those created through
//! the API; partner event sources live for the run (see
//! [`Registry`](super::super::registry::Registry) for their lifecycle).

use super::super::protocol::{ApiError, Params};
use super::super::registry::{Bus, Source, SourceState, rules_on};
use super::Api;
use sam_template::{Destination, Rule, Target, TargetInput};
use serde_json::{Map, Value, json};

/// `DescribeEventBus`.
pub(super) fn describe_event_bus(
    api: &Api,
    request: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let registry = api.registry();
    let bus = registry.bus(Params(request).string("Name")?)?;
    Ok(registry.bus_json(bus))
}

/// `ListEventBuses` (`NamePrefix`, `Limit`, `NextToken`).
pub(super) fn list_event_buses(api: &Api, request: &Map<String, Value>) -> Result<Value, ApiError> {
    let params = Params(request);
    let registry = api.registry();
    let buses: Vec<Value> = registry
        .buses(params.string("NamePrefix")?)
        .map(|bus| registry.bus_json(bus))
        .collect();
    page(request, "EventBuses", buses)
}

/// `CreateEventBus` (`Name`, `EventSourceName`, `Description`).
pub(super) fn create_event_bus(api: &Api, request: &Map<String, Value>) -> Result<Value, ApiError> {
    let params = Params(request);
    let arn = api.registry().create_bus(
        params.required("Name")?,
        params.string("EventSourceName")?,
        params.string("Description")?,
    )?;
    Ok(json!({ "EventBusArn": arn }))
}

/// `DeleteEventBus`.
pub(super) fn delete_event_bus(api: &Api, request: &Map<String, Value>) -> Result<Value, ApiError> {
    api.registry()
        .delete_bus(Params(request).required("Name")?)?;
    Ok(json!({}))
}

/// `ListRules` (`EventBusName`, `NamePrefix`, `Limit`, `NextToken`).
pub(super) fn list_rules(api: &Api, request: &Map<String, Value>) -> Result<Value, ApiError> {
    let params = Params(request);
    let bus = api.registry().bus(params.string("EventBusName")?)?.clone();
    let prefix = params.string("NamePrefix")?.unwrap_or_default();
    let rules: Vec<Value> = rules_on(&api.template, &api.stack, &bus)
        .into_iter()
        .filter(|rule| rule.logical_id.starts_with(prefix))
        .map(|rule| rule_json(api, &bus, rule))
        .collect();
    page(request, "Rules", rules)
}

/// `DescribeRule` (`Name`, `EventBusName`).
pub(super) fn describe_rule(api: &Api, request: &Map<String, Value>) -> Result<Value, ApiError> {
    let params = Params(request);
    let (bus, rule) = rule(
        api,
        params.required("Name")?,
        params.string("EventBusName")?,
    )?;
    let mut value = rule_json(api, &bus, rule);
    value["CreatedBy"] = json!(api.registry().account());
    Ok(value)
}

/// `ListTargetsByRule` (`Rule`, `EventBusName`).
pub(super) fn list_targets_by_rule(
    api: &Api,
    request: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let params = Params(request);
    let (_, rule) = rule(
        api,
        params.required("Rule")?,
        params.string("EventBusName")?,
    )?;
    let targets: Vec<Value> = rule.targets.iter().map(|t| target_json(api, t)).collect();
    page(request, "Targets", targets)
}

/// `CreatePartnerEventSource` (`Name`, `Account`).
pub(super) fn create_partner_event_source(
    api: &Api,
    request: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let params = Params(request);
    let arn = api
        .registry()
        .create_source(params.required("Name")?, params.required("Account")?)?;
    Ok(json!({ "EventSourceArn": arn }))
}

/// `DescribePartnerEventSource` (the partner's view).
pub(super) fn describe_partner_event_source(
    api: &Api,
    request: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let registry = api.registry();
    let source = registry.source(Params(request).required("Name")?)?;
    Ok(json!({ "Arn": registry.source_arn(&source.name), "Name": source.name }))
}

/// `ListPartnerEventSources` (`NamePrefix` is required, as in EventBridge).
pub(super) fn list_partner_event_sources(
    api: &Api,
    request: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let registry = api.registry();
    let sources: Vec<Value> = registry
        .sources(Some(Params(request).required("NamePrefix")?))
        .filter(|source| source.state != SourceState::Deleted)
        .map(|source| json!({ "Arn": registry.source_arn(&source.name), "Name": source.name }))
        .collect();
    page(request, "PartnerEventSources", sources)
}

/// `ListPartnerEventSourceAccounts`: the customer account of a source and its state.
pub(super) fn list_partner_event_source_accounts(
    api: &Api,
    request: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let registry = api.registry();
    let source = registry.source(Params(request).required("EventSourceName")?)?;
    let accounts = vec![json!({
        "Account": source.account,
        "CreationTime": source.created.timestamp(),
        "State": source.state.as_str(),
    })];
    page(request, "PartnerEventSourceAccounts", accounts)
}

/// `DeletePartnerEventSource` (`Name`, `Account`).
pub(super) fn delete_partner_event_source(
    api: &Api,
    request: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let params = Params(request);
    api.registry()
        .delete_source(params.required("Name")?, params.required("Account")?)?;
    Ok(json!({}))
}

/// `DescribeEventSource` (the customer's view, with the state).
pub(super) fn describe_event_source(
    api: &Api,
    request: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let name = Params(request).required("Name")?;
    let registry = api.registry();
    let source = registry
        .sources(Some(name))
        .find(|source| source.name == name)
        .ok_or_else(|| ApiError::not_found(format!("Event source {name} does not exist.")))?;
    Ok(source_json(&registry.source_arn(name), source))
}

/// `ListEventSources` (the customer's view).
pub(super) fn list_event_sources(
    api: &Api,
    request: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let registry = api.registry();
    let sources: Vec<Value> = registry
        .sources(Params(request).string("NamePrefix")?)
        .map(|source| source_json(&registry.source_arn(&source.name), source))
        .collect();
    page(request, "EventSources", sources)
}

fn source_json(arn: &str, source: &Source) -> Value {
    let partner = source.name.split('/').nth(1).unwrap_or_default();
    json!({
        "Arn": arn,
        "CreatedBy": partner,
        "CreationTime": source.created.timestamp(),
        "Name": source.name,
        "State": source.state.as_str(),
    })
}

/// A template rule on a bus, by name (its logical id).
fn rule<'a>(api: &'a Api, name: &str, bus: Option<&str>) -> Result<(Bus, &'a Rule), ApiError> {
    let bus = api.registry().bus(bus)?.clone();
    let rule = rules_on(&api.template, &api.stack, &bus)
        .into_iter()
        .find(|rule| rule.logical_id == name)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "Rule {name} does not exist on EventBus {}.",
                bus.name
            ))
        })?;
    Ok((bus, rule))
}

fn rule_json(api: &Api, bus: &Bus, rule: &Rule) -> Value {
    json!({
        "Name": rule.logical_id,
        "Arn": api.registry().rule_arn(&bus.name, &rule.logical_id),
        "EventPattern": rule.pattern_text(),
        "State": if rule.state.is_enabled() { "ENABLED" } else { "DISABLED" },
        "EventBusName": bus.name,
    })
}

fn target_json(api: &Api, target: &Target) -> Value {
    let arn = match &target.destination {
        Destination::Function(id) | Destination::Queue(id) | Destination::Bus(id) => {
            api.stack.arn(id).unwrap_or_else(|_| id.clone())
        }
        Destination::Resource { logical_id, .. } => logical_id.clone(),
        Destination::External(expr) => api
            .stack
            .resolve(expr)
            .unwrap_or_else(|error| error.to_string()),
        other => format!("{other:?}"),
    };
    let mut value = json!({ "Id": target.id, "Arn": arn });
    match &target.input {
        TargetInput::Constant(text) => value["Input"] = json!(text),
        TargetInput::Path(path) => value["InputPath"] = json!(path),
        TargetInput::Transformer {
            paths_map,
            template,
        } => {
            value["InputTransformer"] =
                json!({ "InputPathsMap": paths_map, "InputTemplate": template });
        }
        _ => {}
    }
    value
}

/// A page of `items` under `key`: `Limit` items from `NextToken` (the index of the first) on.
fn page(request: &Map<String, Value>, key: &str, items: Vec<Value>) -> Result<Value, ApiError> {
    let limit = match request.get("Limit") {
        None | Some(Value::Null) => usize::MAX,
        Some(value) => value
            .as_u64()
            .filter(|n| (1..=100).contains(n))
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| ApiError::validation("Parameter Limit is not valid: 1 to 100."))?,
    };
    let start = match Params(request).string("NextToken")? {
        None => 0,
        Some(token) => token
            .parse::<usize>()
            .ok()
            .filter(|start| *start <= items.len())
            .ok_or_else(|| ApiError::validation("Parameter NextToken is not valid."))?,
    };
    let end = start.saturating_add(limit).min(items.len());
    let mut answer = json!({ key: items[start..end].to_vec() });
    if end < items.len() {
        answer["NextToken"] = json!(end.to_string());
    }
    Ok(answer)
}

//! Reading `AWS::EventsV2::EventBus` and `AWS::EventsV2::Subscriber` resources.

use super::{
    CustomBus, Filter, FilterScope, InvocationType, Ordering, StartingPosition, Subscriber,
    SubscriberState, Transformer,
};
use crate::resources::{Resources, map_prop, str_prop, u32_prop};
use crate::{Destination, Expr, TemplateError};
use serde_json::{Map, Value};

const BUS_TYPE: &str = "AWS::EventsV2::EventBus";
const SUBSCRIBER_TYPE: &str = "AWS::EventsV2::Subscriber";

/// Every property CloudFormation knows on a subscriber; the ones not modelled here are
/// accepted and not used.
const SUBSCRIBER_PROPERTIES: &[&str] = &[
    "Name",
    "EventBusArn",
    "InvokeConfiguration",
    "BatchConfiguration",
    "Description",
    "FilterConfiguration",
    "LogConfiguration",
    "OnFailureConfiguration",
    "PointInTimeConfiguration",
    "ResumePosition",
    "RetryPolicy",
    "StartingPosition",
    "State",
    "Tags",
    "Transformer",
    "Type",
];

const BUS_PROPERTIES: &[&str] = &[
    "Name",
    "Description",
    "EncryptionConfiguration",
    "StorageConfiguration",
    "Tags",
];

pub(crate) fn custom_buses(resources: &Resources<'_>) -> Result<Vec<CustomBus>, TemplateError> {
    let mut buses = Vec::new();
    for item in resources.of_type(&[BUS_TYPE]) {
        let (id, _, props) = item?;
        let path = format!("Resources.{id}.Properties");
        known_keys(props, BUS_PROPERTIES, &path)?;
        let name = props
            .get("Name")
            .map(Expr::from_json)
            .ok_or_else(|| TemplateError::invalid(&path, "Name is missing"))?;
        let storage_path = format!("{path}.StorageConfiguration");
        let retention_days = match map_prop(props, "StorageConfiguration", &path)? {
            Some(storage) => {
                known_keys(storage, &["RetentionPeriodInDays"], &storage_path)?;
                in_range(storage, "RetentionPeriodInDays", &storage_path, 1, 365)?
            }
            None => None,
        };
        buses.push(CustomBus {
            logical_id: id.to_owned(),
            name,
            retention_days,
        });
    }
    Ok(buses)
}

pub(crate) fn subscribers(resources: &Resources<'_>) -> Result<Vec<Subscriber>, TemplateError> {
    let mut subscribers = Vec::new();
    for item in resources.of_type(&[SUBSCRIBER_TYPE]) {
        let (id, _, props) = item?;
        subscribers.push(subscriber(resources, id, props)?);
    }
    Ok(subscribers)
}

fn subscriber(
    resources: &Resources<'_>,
    id: &str,
    props: &Map<String, Value>,
) -> Result<Subscriber, TemplateError> {
    let path = format!("Resources.{id}.Properties");
    known_keys(props, SUBSCRIBER_PROPERTIES, &path)?;
    let required = |key: &str| {
        props
            .get(key)
            .ok_or_else(|| TemplateError::invalid(&path, format!("{key} is missing")))
    };
    let name = Expr::from_json(required("Name")?);
    let bus_arn = Expr::from_json(required("EventBusArn")?);
    let bus = bus_arn
        .resource()
        .filter(|bus| resources.type_of(bus) == Some(BUS_TYPE))
        .map(str::to_owned);

    let invoke_path = format!("{path}.InvokeConfiguration");
    let invoke = map_prop(props, "InvokeConfiguration", &path)?
        .ok_or_else(|| TemplateError::invalid(&path, "InvokeConfiguration is missing"))?;
    let target = resources.destination(
        invoke
            .get("TargetArn")
            .ok_or_else(|| TemplateError::invalid(&invoke_path, "TargetArn is missing"))?,
    );
    let role = Expr::from_json(
        invoke
            .get("RoleArn")
            .ok_or_else(|| TemplateError::invalid(&invoke_path, "RoleArn is missing"))?,
    );
    let lambda_path = format!("{invoke_path}.LambdaParameters");
    let invocation_type = match map_prop(invoke, "LambdaParameters", &invoke_path)? {
        Some(lambda) => one_of(
            lambda,
            "InvocationType",
            &lambda_path,
            &[
                ("EVENT", InvocationType::Event),
                ("REQUEST_RESPONSE", InvocationType::RequestResponse),
            ],
        )?,
        None => None,
    };

    let ordering_type = one_of(
        props,
        "Type",
        &path,
        &[("UNORDERED", Ordering::Unordered), ("FIFO", Ordering::Fifo)],
    )?;
    let filters = filters(props, &path)?;
    let transformer = transformer(props, &path)?;

    let batch_path = format!("{path}.BatchConfiguration");
    let (max_batch_size, max_batch_window_seconds) =
        match map_prop(props, "BatchConfiguration", &path)? {
            Some(batch) => {
                known_keys(
                    batch,
                    &["MaxBatchSize", "MaxBatchWindowInSeconds"],
                    &batch_path,
                )?;
                // 100 for Lambda targets, 500 for any target.
                let limit = if matches!(target, Destination::Function(_)) {
                    100
                } else {
                    500
                };
                (
                    in_range(batch, "MaxBatchSize", &batch_path, 1, limit)?,
                    in_range(batch, "MaxBatchWindowInSeconds", &batch_path, 0, 300)?.unwrap_or(0),
                )
            }
            None => (None, 0),
        };

    let retry_path = format!("{path}.RetryPolicy");
    let (max_retry_attempts, max_event_age_seconds) = match map_prop(props, "RetryPolicy", &path)? {
        Some(retry) => {
            known_keys(
                retry,
                &["MaxRetryAttempts", "MaxEventAgeInSeconds", "RetryStrategy"],
                &retry_path,
            )?;
            one_of(retry, "RetryStrategy", &retry_path, &[("ALL", ())])?;
            (
                in_range(retry, "MaxRetryAttempts", &retry_path, 0, 185)?.unwrap_or(5),
                in_range(retry, "MaxEventAgeInSeconds", &retry_path, 60, 86_400)?.unwrap_or(300),
            )
        }
        None => (5, 300),
    };

    let failure_path = format!("{path}.OnFailureConfiguration");
    let on_failure = match map_prop(props, "OnFailureConfiguration", &path)? {
        Some(failure) => {
            known_keys(failure, &["Arn"], &failure_path)?;
            failure.get("Arn").map(|arn| resources.destination(arn))
        }
        None => None,
    };

    let state = one_of(
        props,
        "State",
        &path,
        &[
            ("RUNNING", SubscriberState::Running),
            ("STOPPED", SubscriberState::Stopped),
        ],
    )?
    .unwrap_or(SubscriberState::Running);

    Ok(Subscriber {
        logical_id: id.to_owned(),
        name,
        bus,
        bus_arn,
        ordering_type,
        filters,
        transformer,
        max_batch_size,
        max_batch_window_seconds,
        max_retry_attempts,
        max_event_age_seconds,
        on_failure,
        starting_position: starting_position(props, &path)?,
        state,
        target,
        role,
        invocation_type,
    })
}

fn filters(props: &Map<String, Value>, path: &str) -> Result<Vec<Filter>, TemplateError> {
    let Some(config) = map_prop(props, "FilterConfiguration", path)? else {
        return Ok(Vec::new());
    };
    let path = format!("{path}.FilterConfiguration");
    known_keys(config, &["Filters", "Language"], &path)?;
    one_of(config, "Language", &path, &[("EVENT_BRIDGE_PATTERN", ())])?;
    let Some(Value::Array(items)) = config.get("Filters") else {
        return Err(TemplateError::invalid(
            &path,
            "Filters must be a list of 1-50 filters",
        ));
    };
    if items.is_empty() || items.len() > 50 {
        return Err(TemplateError::invalid(
            format!("{path}.Filters"),
            format!("holds {} filters; 1-50 are allowed", items.len()),
        ));
    }
    let mut filters: Vec<Filter> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let item_path = format!("{path}.Filters[{index}]");
        let Value::Object(item) = item else {
            return Err(TemplateError::invalid(item_path, "must be a mapping"));
        };
        known_keys(item, &["Scope", "Pattern"], &item_path)?;
        let scope = one_of(
            item,
            "Scope",
            &item_path,
            &[
                ("DATA", FilterScope::Data),
                ("METADATA", FilterScope::Metadata),
                ("SYSTEM_METADATA", FilterScope::SystemMetadata),
            ],
        )?
        .ok_or_else(|| TemplateError::invalid(&item_path, "Scope is missing"))?;
        if filters.iter().any(|f| f.scope == scope) {
            return Err(TemplateError::invalid(
                item_path,
                format!(
                    "a second filter on scope {}: at most one filter per scope",
                    scope.as_str()
                ),
            ));
        }
        let pattern = str_prop(item, "Pattern", &item_path)?
            .ok_or_else(|| TemplateError::invalid(&item_path, "Pattern is missing"))?;
        if pattern.len() > 4096 {
            return Err(TemplateError::invalid(
                format!("{item_path}.Pattern"),
                "longer than 4096 characters",
            ));
        }
        filters.push(Filter {
            scope,
            pattern: pattern.to_owned(),
        });
    }
    Ok(filters)
}

fn transformer(props: &Map<String, Value>, path: &str) -> Result<Transformer, TemplateError> {
    let Some(config) = map_prop(props, "Transformer", path)? else {
        return Ok(Transformer::Raw);
    };
    let path = format!("{path}.Transformer");
    known_keys(config, &["Type", "JsonataConfiguration"], &path)?;
    #[derive(Clone, Copy)]
    enum Kind {
        Raw,
        WithMetadata,
        Jsonata,
    }
    let kind = one_of(
        config,
        "Type",
        &path,
        &[
            ("RAW", Kind::Raw),
            ("WITH_METADATA", Kind::WithMetadata),
            ("JSONATA", Kind::Jsonata),
        ],
    )?
    .unwrap_or(Kind::Raw);
    Ok(match kind {
        Kind::Raw => Transformer::Raw,
        Kind::WithMetadata => Transformer::WithMetadata,
        Kind::Jsonata => {
            let expression = map_prop(config, "JsonataConfiguration", &path)?
                .and_then(|c| c.get("Expression"))
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    TemplateError::invalid(
                        &path,
                        "Type JSONATA needs JsonataConfiguration.Expression",
                    )
                })?;
            Transformer::Jsonata {
                expression: expression.to_owned(),
            }
        }
    })
}

fn starting_position(
    props: &Map<String, Value>,
    path: &str,
) -> Result<StartingPosition, TemplateError> {
    #[derive(Clone, Copy)]
    enum Kind {
        Latest,
        PointInTime,
    }
    let kind = one_of(
        props,
        "StartingPosition",
        path,
        &[
            ("LATEST", Kind::Latest),
            ("POINT_IN_TIME", Kind::PointInTime),
        ],
    )?
    .unwrap_or(Kind::Latest);
    let config = map_prop(props, "PointInTimeConfiguration", path)?;
    let config_path = format!("{path}.PointInTimeConfiguration");
    match (kind, config) {
        (Kind::Latest, None) => Ok(StartingPosition::Latest),
        (Kind::Latest, Some(_)) => Err(TemplateError::invalid(
            config_path,
            "is used only with StartingPosition: POINT_IN_TIME",
        )),
        (Kind::PointInTime, None) => Err(TemplateError::invalid(
            path,
            "StartingPosition POINT_IN_TIME needs PointInTimeConfiguration",
        )),
        (Kind::PointInTime, Some(config)) => {
            known_keys(
                config,
                &["PointType", "StartingPoint", "EndPoint"],
                &config_path,
            )?;
            let timestamp = one_of(
                config,
                "PointType",
                &config_path,
                &[("HORIZON", false), ("TIMESTAMP", true)],
            )?
            .ok_or_else(|| TemplateError::invalid(&config_path, "PointType is missing"))?;
            let from = epoch(config, "StartingPoint", &config_path)?;
            if timestamp && from.is_none() {
                return Err(TemplateError::invalid(
                    &config_path,
                    "PointType TIMESTAMP needs StartingPoint (epoch seconds)",
                ));
            }
            Ok(StartingPosition::PointInTime {
                from: if timestamp { from } else { None },
                until: epoch(config, "EndPoint", &config_path)?,
            })
        }
    }
}

/// Rejects a key the schema does not have (a typo would otherwise be ignored silently).
fn known_keys(map: &Map<String, Value>, known: &[&str], path: &str) -> Result<(), TemplateError> {
    match map.keys().find(|key| !known.contains(&key.as_str())) {
        Some(key) => Err(TemplateError::invalid(
            format!("{path}.{key}"),
            format!("unknown property; expected one of {}", known.join(", ")),
        )),
        None => Ok(()),
    }
}

/// An enum property: one of `values` (literal text only), `None` when absent.
fn one_of<T: Copy>(
    map: &Map<String, Value>,
    key: &str,
    path: &str,
    values: &[(&str, T)],
) -> Result<Option<T>, TemplateError> {
    let Some(text) = str_prop(map, key, path)? else {
        return Ok(None);
    };
    values
        .iter()
        .find(|(name, _)| *name == text)
        .map(|(_, value)| Some(*value))
        .ok_or_else(|| {
            let names: Vec<&str> = values.iter().map(|(name, _)| *name).collect();
            TemplateError::invalid(
                format!("{path}.{key}"),
                format!("{text:?} is not one of {}", names.join(", ")),
            )
        })
}

/// An integer property within `min..=max`, `None` when absent.
fn in_range(
    map: &Map<String, Value>,
    key: &str,
    path: &str,
    min: u32,
    max: u32,
) -> Result<Option<u32>, TemplateError> {
    match u32_prop(map, key, path)? {
        Some(value) if !(min..=max).contains(&value) => Err(TemplateError::invalid(
            format!("{path}.{key}"),
            format!("{value} is outside {min}-{max}"),
        )),
        other => Ok(other),
    }
}

/// Epoch seconds (an integer), `None` when absent.
fn epoch(map: &Map<String, Value>, key: &str, path: &str) -> Result<Option<i64>, TemplateError> {
    match map.get(key) {
        None => Ok(None),
        Some(Value::Number(n)) if n.is_i64() => Ok(n.as_i64()),
        Some(Value::String(s)) if s.parse::<i64>().is_ok() => Ok(s.parse().ok()),
        Some(_) => Err(TemplateError::invalid(
            format!("{path}.{key}"),
            "must be epoch seconds (an integer)",
        )),
    }
}

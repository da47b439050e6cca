//! Buses, queues and tables, and the helpers every resource reader shares.

use crate::model::{
    Bus, Destination, EmailIdentity, KeyAttribute, Parameter, Queue, Redrive, Table,
};
use crate::{Expr, TemplateError};
use serde_json::{Map, Value};

/// The template's `Resources`, for looking up a logical id's type.
pub(crate) struct Resources<'a> {
    pub(crate) map: &'a Map<String, Value>,
}

impl<'a> Resources<'a> {
    /// The resources of a given type, with their properties (`{}` when absent).
    pub(crate) fn of_type(
        &self,
        types: &'a [&'a str],
    ) -> impl Iterator<Item = Result<(&'a str, &'a Value, &'a Map<String, Value>), TemplateError>> + 'a
    {
        let empty: &'static Map<String, Value> = empty_map();
        self.map.iter().filter_map(move |(id, resource)| {
            let kind = resource.get("Type").and_then(Value::as_str)?;
            if !types.contains(&kind) {
                return None;
            }
            Some(match resource.get("Properties") {
                None => Ok((id.as_str(), resource, empty)),
                Some(Value::Object(props)) => Ok((id.as_str(), resource, props)),
                Some(_) => Err(TemplateError::invalid(
                    format!("Resources.{id}.Properties"),
                    "must be a mapping",
                )),
            })
        })
    }

    /// The `Type` of a logical id.
    pub(crate) fn type_of(&self, logical_id: &str) -> Option<&'a str> {
        self.map.get(logical_id)?.get("Type")?.as_str()
    }

    /// What an ARN-valued property (`!GetAtt X.Arn`, `!Ref X`, a literal) points to.
    pub(crate) fn destination(&self, arn: &Value) -> Destination {
        let expr = Expr::from_json(arn);
        let Some(id) = expr.resource() else {
            return Destination::External(expr);
        };
        match self.type_of(id) {
            Some("AWS::Serverless::Function" | "AWS::Lambda::Function") => {
                Destination::Function(id.to_owned())
            }
            Some("AWS::SQS::Queue") => Destination::Queue(id.to_owned()),
            Some("AWS::Events::EventBus") => Destination::Bus(id.to_owned()),
            Some(other) => Destination::Resource {
                logical_id: id.to_owned(),
                resource_type: other.to_owned(),
            },
            None => Destination::External(expr),
        }
    }
}

fn empty_map() -> &'static Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    EMPTY.get_or_init(Map::new)
}

/// A non-negative integer property (a number or numeric text); `None` when absent.
pub(crate) fn u32_prop(
    props: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<u32>, TemplateError> {
    let Some(value) = props.get(key) else {
        return Ok(None);
    };
    let number = match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    number
        .and_then(|n| u32::try_from(n).ok())
        .map(Some)
        .ok_or_else(|| {
            TemplateError::invalid(format!("{path}.{key}"), "must be a non-negative integer")
        })
}

/// A string property; `None` when absent.
pub(crate) fn str_prop<'v>(
    props: &'v Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<&'v str>, TemplateError> {
    match props.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(TemplateError::invalid(
            format!("{path}.{key}"),
            "must be a string",
        )),
    }
}

/// A mapping property; `None` when absent.
pub(crate) fn map_prop<'v>(
    props: &'v Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<&'v Map<String, Value>>, TemplateError> {
    match props.get(key) {
        None => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(_) => Err(TemplateError::invalid(
            format!("{path}.{key}"),
            "must be a mapping",
        )),
    }
}

pub(crate) fn buses(resources: &Resources<'_>) -> Result<Vec<Bus>, TemplateError> {
    let mut buses = vec![Bus {
        logical_id: crate::DEFAULT_BUS.to_owned(),
        name: None,
        is_default: true,
        event_source_name: None,
    }];
    for item in resources.of_type(&["AWS::Events::EventBus"]) {
        let (id, _, props) = item?;
        buses.push(Bus {
            logical_id: id.to_owned(),
            name: props.get("Name").map(Expr::from_json),
            is_default: false,
            event_source_name: props.get("EventSourceName").map(Expr::from_json),
        });
    }
    Ok(buses)
}

pub(crate) fn queues(resources: &Resources<'_>) -> Result<Vec<Queue>, TemplateError> {
    let mut queues = Vec::new();
    for item in resources.of_type(&["AWS::SQS::Queue"]) {
        let (id, _, props) = item?;
        let path = format!("Resources.{id}.Properties");
        let redrive = match props.get("RedrivePolicy") {
            None => None,
            Some(policy) => Some(redrive(
                policy,
                resources,
                &format!("{path}.RedrivePolicy"),
            )?),
        };
        queues.push(Queue {
            logical_id: id.to_owned(),
            name: props.get("QueueName").map(Expr::from_json),
            fifo: props
                .get("FifoQueue")
                .is_some_and(|v| v == true || v == "true"),
            redrive,
            visibility_timeout: u32_prop(props, "VisibilityTimeout", &path)?,
        });
    }
    Ok(queues)
}

fn redrive(
    policy: &Value,
    resources: &Resources<'_>,
    path: &str,
) -> Result<Redrive, TemplateError> {
    // The policy is a mapping, or the same as JSON text.
    let parsed;
    let policy = match policy {
        Value::String(text) => {
            parsed = serde_json::from_str::<Value>(text)
                .map_err(|e| TemplateError::invalid(path, format!("not JSON: {e}")))?;
            &parsed
        }
        other => other,
    };
    let Value::Object(map) = policy else {
        return Err(TemplateError::invalid(path, "must be a mapping"));
    };
    let target = map
        .get("deadLetterTargetArn")
        .ok_or_else(|| TemplateError::invalid(path, "deadLetterTargetArn is missing"))?;
    Ok(Redrive {
        dead_letter_queue: resources.destination(target),
        max_receive_count: u32_prop(map, "maxReceiveCount", path)?,
    })
}

pub(crate) fn tables(resources: &Resources<'_>) -> Result<Vec<Table>, TemplateError> {
    let mut tables = Vec::new();
    for item in resources.of_type(&["AWS::DynamoDB::Table"]) {
        let (id, _, props) = item?;
        let path = format!("Resources.{id}.Properties");
        let types: Vec<(&str, &str)> = props
            .get("AttributeDefinitions")
            .and_then(Value::as_array)
            .map(|defs| {
                defs.iter()
                    .filter_map(|d| {
                        Some((
                            d.get("AttributeName")?.as_str()?,
                            d.get("AttributeType")?.as_str()?,
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let key = |role: &str| -> Option<KeyAttribute> {
            let schema = props.get("KeySchema")?.as_array()?;
            let name = schema
                .iter()
                .find(|k| k.get("KeyType").and_then(Value::as_str) == Some(role))?
                .get("AttributeName")?
                .as_str()?;
            let attribute_type = types.iter().find(|(n, _)| *n == name)?.1;
            Some(KeyAttribute {
                name: name.to_owned(),
                attribute_type: attribute_type.to_owned(),
            })
        };
        let partition_key = key("HASH").ok_or_else(|| {
            TemplateError::invalid(
                format!("{path}.KeySchema"),
                "needs a HASH key declared in AttributeDefinitions",
            )
        })?;
        let ttl_attribute = map_prop(props, "TimeToLiveSpecification", &path)?
            .filter(|ttl| ttl.get("Enabled").is_some_and(|v| v == true || v == "true"))
            .and_then(|ttl| ttl.get("AttributeName")?.as_str().map(str::to_owned));
        tables.push(Table {
            logical_id: id.to_owned(),
            name: props.get("TableName").map(Expr::from_json),
            partition_key,
            sort_key: key("RANGE"),
            ttl_attribute,
            billing_mode: str_prop(props, "BillingMode", &path)?
                .unwrap_or("PROVISIONED")
                .to_owned(),
        });
    }
    Ok(tables)
}

pub(crate) fn email_identities(
    resources: &Resources<'_>,
) -> Result<Vec<EmailIdentity>, TemplateError> {
    let mut identities = Vec::new();
    for item in resources.of_type(&["AWS::SES::EmailIdentity"]) {
        let (id, _, props) = item?;
        let identity = props.get("EmailIdentity").ok_or_else(|| {
            TemplateError::invalid(
                format!("Resources.{id}.Properties"),
                "EmailIdentity is missing",
            )
        })?;
        identities.push(EmailIdentity {
            logical_id: id.to_owned(),
            identity: Expr::from_json(identity),
        });
    }
    Ok(identities)
}

/// The template's `Parameters`, with their defaults as text.
pub(crate) fn parameters(root: &Map<String, Value>) -> Result<Vec<Parameter>, TemplateError> {
    let Some(parameters) = root.get("Parameters") else {
        return Ok(Vec::new());
    };
    let Value::Object(parameters) = parameters else {
        return Err(TemplateError::invalid("Parameters", "must be a mapping"));
    };
    Ok(parameters
        .iter()
        .map(|(name, parameter)| Parameter {
            logical_id: name.clone(),
            default: match parameter.get("Default") {
                Some(Value::String(text)) => Some(text.clone()),
                Some(Value::Number(n)) => Some(n.to_string()),
                Some(Value::Bool(b)) => Some(b.to_string()),
                _ => None,
            },
        })
        .collect())
}

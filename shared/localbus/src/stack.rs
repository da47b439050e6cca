//! A local deployment of the template: parameter values, the physical names and ARNs of its
//! resources, and the values of `!Ref`, `!GetAtt` and `!Sub` as CloudFormation computes them.
//!
//! Names follow CloudFormation: a resource's own name property (`QueueName`, `TableName`,
//! `Name`) when set, else a generated `<stack>-<LogicalId>` (CloudFormation adds a random
//! suffix; locally the name stays predictable so tests and people can find the resources).

use sam_template::{Expr, Template};
use std::collections::BTreeMap;

/// The account id of local deployments (moto's default account).
pub(crate) const LOCAL_ACCOUNT: &str = "123456789012";

/// Why a template value cannot be computed locally.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ResolveError {
    /// `!Ref`/`!GetAtt`/`${}` of something that is neither a parameter nor a resource.
    #[error("{0} is neither a parameter nor a resource of the template")]
    Unknown(String),
    /// A parameter without a default and without `--parameter-overrides`.
    #[error("parameter {0} has no Default: give it with --parameter-overrides {0}=VALUE")]
    NoValue(String),
    /// An attribute localbus does not model.
    #[error("!GetAtt {resource}.{attribute} is not supported locally")]
    Attribute {
        /// The resource's logical id.
        resource: String,
        /// The attribute.
        attribute: String,
    },
    /// An intrinsic function localbus does not evaluate.
    #[error("{0} is not supported locally (use !Ref, !GetAtt or !Sub)")]
    Unsupported(String),
    /// A `--parameter-overrides` entry of a parameter the template lacks.
    #[error("--parameter-overrides {0}: the template has no such parameter")]
    UnknownParameter(String),
}

/// What kind of resource a logical id is, for computing its names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Table,
    Queue,
    Bus,
    Function,
}

/// The template deployed as a stack named `name` in `region`.
#[derive(Debug, Clone)]
pub(crate) struct Stack {
    name: String,
    region: String,
    account: String,
    /// Where queue URLs point (the local endpoint, or SQS's regional endpoint).
    sqs_endpoint: String,
    parameters: BTreeMap<String, Option<String>>,
    /// Physical name per logical id.
    names: BTreeMap<String, (Kind, String)>,
    /// Queue URLs looked up in the account (with `--aws`), by logical id.
    queue_urls: BTreeMap<String, String>,
}

impl Stack {
    /// Computes every name of `template` deployed as stack `name`.
    ///
    /// `overrides` are `Name=Value` parameter values; `sqs_endpoint` is the base of queue URLs.
    pub(crate) fn new(
        template: &Template,
        name: &str,
        region: &str,
        account: &str,
        sqs_endpoint: &str,
        overrides: &[(String, String)],
    ) -> Result<Stack, ResolveError> {
        let mut parameters: BTreeMap<String, Option<String>> = template
            .parameters()
            .iter()
            .map(|p| (p.logical_id.clone(), p.default.clone()))
            .collect();
        for (key, value) in overrides {
            match parameters.get_mut(key) {
                Some(slot) => *slot = Some(value.clone()),
                None => return Err(ResolveError::UnknownParameter(key.clone())),
            }
        }
        let mut stack = Stack {
            name: name.to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            sqs_endpoint: sqs_endpoint.trim_end_matches('/').to_owned(),
            parameters,
            names: BTreeMap::new(),
            queue_urls: BTreeMap::new(),
        };
        // Names may use parameters (`!Sub orders-${Stage}`), never other resources' names.
        let declared = template
            .tables()
            .iter()
            .map(|t| (Kind::Table, &t.logical_id, t.name.as_ref()))
            .chain(
                template
                    .queues()
                    .iter()
                    .map(|q| (Kind::Queue, &q.logical_id, q.name.as_ref())),
            )
            .chain(
                template
                    .buses()
                    .iter()
                    .filter(|b| !b.is_default)
                    .map(|b| (Kind::Bus, &b.logical_id, b.name.as_ref())),
            )
            .chain(
                template
                    .functions()
                    .iter()
                    .map(|f| (Kind::Function, &f.logical_id, None)),
            );
        let mut names = BTreeMap::new();
        for (kind, id, name) in declared {
            let physical = match name {
                Some(expr) => stack.resolve(expr)?,
                None => format!("{}-{id}", stack.name),
            };
            names.insert(id.clone(), (kind, physical));
        }
        names.insert("default".to_owned(), (Kind::Bus, "default".to_owned()));
        stack.names = names;
        Ok(stack)
    }

    /// Replaces computed names with deployed ones (`LogicalId=Name`), for resources whose
    /// deployed names CloudFormation generated.
    pub(crate) fn with_physical_ids(
        mut self,
        names: &[(String, String)],
    ) -> Result<Stack, ResolveError> {
        for (logical_id, physical) in names {
            match self.names.get_mut(logical_id) {
                Some((_, name)) => name.clone_from(physical),
                None => return Err(ResolveError::Unknown(logical_id.clone())),
            }
        }
        Ok(self)
    }

    /// Uses queue URLs looked up in the account (`GetQueueUrl`) instead of computed ones, and
    /// takes the account id from them.
    pub(crate) fn with_queue_urls(mut self, urls: BTreeMap<String, String>) -> Stack {
        let account = urls
            .values()
            .find_map(|url| url.rsplit('/').nth(1).map(str::to_owned));
        if let Some(account) = account {
            self.account = account;
        }
        self.queue_urls = urls;
        self
    }

    /// The names of the template's queues, by logical id.
    pub(crate) fn queue_names(&self) -> impl Iterator<Item = (&str, &str)> {
        self.names
            .iter()
            .filter(|(_, (kind, _))| *kind == Kind::Queue)
            .map(|(id, (_, name))| (id.as_str(), name.as_str()))
    }

    /// The logical id of the bus `name` names: `default` when `None`, else a bus's logical id
    /// or its name in this stack (`orders-dev` for `Name: !Sub orders-${Stage}`).
    pub(crate) fn bus_logical_id(
        &self,
        template: &Template,
        name: Option<&str>,
    ) -> Result<String, String> {
        let Some(name) = name else {
            return Ok("default".to_owned());
        };
        template
            .buses()
            .iter()
            .find(|bus| {
                bus.logical_id == name
                    || self
                        .physical_name(&bus.logical_id)
                        .is_ok_and(|physical| physical == name)
            })
            .map(|bus| bus.logical_id.clone())
            .ok_or_else(|| format!("no event bus {name:?} in the template"))
    }

    /// The stack's name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The region.
    pub(crate) fn region(&self) -> &str {
        &self.region
    }

    /// The account id.
    pub(crate) fn account(&self) -> &str {
        &self.account
    }

    /// The physical name of a table, queue, bus or function.
    pub(crate) fn physical_name(&self, logical_id: &str) -> Result<&str, ResolveError> {
        self.names
            .get(logical_id)
            .map(|(_, name)| name.as_str())
            .ok_or_else(|| ResolveError::Unknown(logical_id.to_owned()))
    }

    /// A queue's URL.
    pub(crate) fn queue_url(&self, logical_id: &str) -> Result<String, ResolveError> {
        if let Some(url) = self.queue_urls.get(logical_id) {
            return Ok(url.clone());
        }
        let name = self.physical_name(logical_id)?;
        Ok(format!("{}/{}/{name}", self.sqs_endpoint, self.account))
    }

    /// A resource's ARN.
    pub(crate) fn arn(&self, logical_id: &str) -> Result<String, ResolveError> {
        let (kind, name) = self
            .names
            .get(logical_id)
            .ok_or_else(|| ResolveError::Unknown(logical_id.to_owned()))?;
        let (region, account) = (&self.region, &self.account);
        Ok(match kind {
            Kind::Table => format!("arn:aws:dynamodb:{region}:{account}:table/{name}"),
            Kind::Queue => format!("arn:aws:sqs:{region}:{account}:{name}"),
            Kind::Bus => format!("arn:aws:events:{region}:{account}:event-bus/{name}"),
            Kind::Function => format!("arn:aws:lambda:{region}:{account}:function:{name}"),
        })
    }

    /// The value of a template expression.
    pub(crate) fn resolve(&self, expr: &Expr) -> Result<String, ResolveError> {
        match expr {
            Expr::Literal(text) => Ok(text.clone()),
            Expr::Ref(name) => self.reference(name),
            Expr::GetAtt {
                resource,
                attribute,
            } => self.attribute(resource, attribute),
            Expr::Sub(text) => self.substitute(text),
            other => Err(ResolveError::Unsupported(format!("{other:?}"))),
        }
    }

    fn reference(&self, name: &str) -> Result<String, ResolveError> {
        if let Some(value) = self.parameters.get(name) {
            return value
                .clone()
                .ok_or_else(|| ResolveError::NoValue(name.to_owned()));
        }
        match name {
            "AWS::Region" => return Ok(self.region.clone()),
            "AWS::AccountId" => return Ok(self.account.clone()),
            "AWS::StackName" => return Ok(self.name.clone()),
            "AWS::Partition" => return Ok("aws".to_owned()),
            "AWS::URLSuffix" => return Ok("amazonaws.com".to_owned()),
            _ => {}
        }
        match self.names.get(name) {
            Some((Kind::Queue, _)) => self.queue_url(name),
            Some((_, physical)) => Ok(physical.clone()),
            None => Err(ResolveError::Unknown(name.to_owned())),
        }
    }

    fn attribute(&self, resource: &str, attribute: &str) -> Result<String, ResolveError> {
        let (kind, name) = self
            .names
            .get(resource)
            .ok_or_else(|| ResolveError::Unknown(resource.to_owned()))?;
        match (kind, attribute) {
            (_, "Arn") => self.arn(resource),
            (Kind::Queue, "QueueUrl") => self.queue_url(resource),
            (Kind::Queue, "QueueName") | (Kind::Bus, "Name") => Ok(name.clone()),
            _ => Err(ResolveError::Attribute {
                resource: resource.to_owned(),
                attribute: attribute.to_owned(),
            }),
        }
    }

    /// `!Sub`: `${Name}` is `!Ref Name`, `${Res.Attr}` is `!GetAtt`, `${!Text}` is `${Text}`.
    fn substitute(&self, text: &str) -> Result<String, ResolveError> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                return Ok(out);
            };
            let variable = &after[..end];
            if let Some(literal) = variable.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else if let Some((resource, attribute)) = variable.split_once('.') {
                out.push_str(&self.attribute(resource, attribute)?);
            } else {
                out.push_str(&self.reference(variable)?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn stack(overrides: &[(String, String)]) -> Stack {
        let template =
            Template::from_path(concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml"))
                .unwrap();
        Stack::new(
            &template,
            "local",
            "us-east-1",
            LOCAL_ACCOUNT,
            "http://127.0.0.1:5000",
            overrides,
        )
        .unwrap()
    }

    #[test]
    fn names_come_from_name_properties_or_the_stack() {
        let stack = stack(&[]);
        assert_eq!(stack.physical_name("OrdersBus").unwrap(), "orders-dev");
        assert_eq!(
            stack.physical_name("ShippingQueue").unwrap(),
            "shipping-notifications-queue-dev"
        );
        assert_eq!(
            stack.physical_name("DedupTable").unwrap(),
            "local-DedupTable"
        );
        assert_eq!(
            stack.queue_url("AsyncFailureQueue").unwrap(),
            "http://127.0.0.1:5000/123456789012/local-AsyncFailureQueue"
        );
        assert_eq!(
            stack.arn("EmailFunction").unwrap(),
            "arn:aws:lambda:us-east-1:123456789012:function:local-EmailFunction"
        );
    }

    #[test]
    fn refs_getatts_and_subs_resolve_like_cloudformation() {
        let stack = stack(&[("Stage".into(), "prod".into())]);
        assert_eq!(
            stack.resolve(&Expr::Ref("OrdersBus".into())).unwrap(),
            "orders-prod"
        );
        assert_eq!(
            stack.resolve(&Expr::Ref("SenderAddress".into())).unwrap(),
            "orders@example.com"
        );
        assert_eq!(
            stack
                .resolve(&Expr::GetAtt {
                    resource: "ShippingQueue".into(),
                    attribute: "Arn".into()
                })
                .unwrap(),
            "arn:aws:sqs:us-east-1:123456789012:shipping-notifications-queue-prod"
        );
        assert_eq!(
            stack
                .resolve(&Expr::Sub(
                    "${AWS::Region}/${DedupTable}/${!Literal}".into()
                ))
                .unwrap(),
            "us-east-1/local-DedupTable/${Literal}"
        );
        assert!(matches!(
            stack.resolve(&Expr::Ref("Nope".into())),
            Err(ResolveError::Unknown(name)) if name == "Nope"
        ));
        assert!(matches!(
            stack.resolve(&Expr::GetAtt {
                resource: "DedupTable".into(),
                attribute: "StreamArn".into()
            }),
            Err(ResolveError::Attribute { .. })
        ));
    }

    #[test]
    fn looked_up_queue_urls_win_and_give_the_account() {
        let urls = BTreeMap::from([(
            "AsyncFailureQueue".to_owned(),
            "https://sqs.eu-west-1.amazonaws.com/210987654321/prod-AsyncFailureQueue-ABC"
                .to_owned(),
        )]);
        let stack = stack(&[]).with_queue_urls(urls);
        assert_eq!(
            stack.queue_url("AsyncFailureQueue").unwrap(),
            "https://sqs.eu-west-1.amazonaws.com/210987654321/prod-AsyncFailureQueue-ABC"
        );
        assert_eq!(
            stack.arn("DedupTable").unwrap(),
            "arn:aws:dynamodb:us-east-1:210987654321:table/local-DedupTable"
        );
        assert_eq!(stack.queue_names().count(), 5);
    }

    #[test]
    fn unknown_overrides_are_rejected() {
        let template =
            Template::from_path(concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml"))
                .unwrap();
        let error = Stack::new(
            &template,
            "local",
            "us-east-1",
            LOCAL_ACCOUNT,
            "http://x",
            &[("Stag".into(), "x".into())],
        )
        .unwrap_err();
        assert!(error.to_string().contains("Stag"), "{error}");
    }
}

//! A typed reading of the project's SAM `template.yaml`, for tests and the `localbus` tool.
//!
//! [`Template`] lists the event buses (the default bus included), the rules with their bus,
//! event pattern, state and targets (SAM `EventBridgeRule` function events and
//! `AWS::Events::Rule` resources alike), the functions (binary, environment with `Globals`
//! applied, event sources), the SQS queues and the DynamoDB tables. Short-form tags (`!Ref`,
//! `!GetAtt`, `!Sub`, ...) are kept and read as CloudFormation does ([`yaml::to_json`]);
//! `!Ref X` and `!GetAtt X.Arn` resolve to the logical id `X`.
//!
//! ```
//! use sam_template::{Delivery, Template};
//!
//! let template = Template::from_path(concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml"))?;
//! // Who receives an OrderCreated published on the orders bus?
//! let mut reached: Vec<_> = template
//!     .rules_on_bus("OrdersBus")
//!     .flat_map(|rule| &rule.targets)
//!     .flat_map(|target| template.reached_functions(target))
//!     .collect();
//! reached.sort();
//! assert_eq!(
//!     reached,
//!     [
//!         ("EmailFunction", Delivery::Lambda),
//!         ("InventoryFunction", Delivery::Lambda),
//!         ("PartnerPublisherFunction", Delivery::Lambda),
//!         ("ShippingFunction", Delivery::Sqs),
//!     ]
//! );
//! # Ok::<(), sam_template::TemplateError>(())
//! ```

mod checks;
mod custom_bus;
mod error;
mod expr;
mod functions;
mod model;
mod resources;
mod rules;
pub mod yaml;

pub use checks::{CheckFailed, Finding};
pub use custom_bus::{
    CustomBus, Filter, FilterScope, InvocationType, Ordering, StartingPosition, Subscriber,
    SubscriberState, Transformer,
};
pub use error::TemplateError;
pub use expr::Expr;
pub use model::{
    Bus, BusRef, DEFAULT_BUS, DeadLetter, Delivery, Destination, EmailIdentity, EventSource,
    Function, FunctionEvent, KeyAttribute, Parameter, Queue, Redrive, RetryPolicy, Rule,
    RuleOrigin, RuleState, Table, Target, TargetInput,
};

use resources::Resources;
use serde_json::Value;
use std::path::Path;

/// A template's buses, rules, functions, queues and tables, each sorted by logical id (the
/// default bus first).
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    buses: Vec<Bus>,
    rules: Vec<Rule>,
    functions: Vec<Function>,
    queues: Vec<Queue>,
    tables: Vec<Table>,
    parameters: Vec<Parameter>,
    email_identities: Vec<EmailIdentity>,
    custom_buses: Vec<CustomBus>,
    subscribers: Vec<Subscriber>,
}

impl Template {
    /// Reads a template file.
    ///
    /// ```
    /// let t = sam_template::Template::from_path(concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml"))?;
    /// assert!(t.function("EmailFunction").is_some());
    /// # Ok::<(), sam_template::TemplateError>(())
    /// ```
    ///
    /// # Errors
    /// [`TemplateError::Io`] if the file cannot be read, else as [`Template::parse`].
    pub fn from_path(path: impl AsRef<Path>) -> Result<Template, TemplateError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| TemplateError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Template::parse(&text)
    }

    /// Reads a template from its YAML (or JSON) text.
    ///
    /// ```
    /// use sam_template::{Template, Delivery};
    ///
    /// let t = Template::parse(r#"
    /// Resources:
    ///   Q:
    ///     Type: AWS::SQS::Queue
    ///   R:
    ///     Type: AWS::Events::Rule
    ///     Properties:
    ///       EventPattern: {source: [aws.ec2]}
    ///       Targets:
    ///         - {Id: q, Arn: !GetAtt Q.Arn, InputPath: $.detail}
    /// "#)?;
    /// let rule = t.rule("R").unwrap();
    /// assert_eq!(rule.bus.logical_id(), Some("default"));
    /// assert_eq!(rule.targets[0].delivery, Delivery::Sqs);
    /// # Ok::<(), sam_template::TemplateError>(())
    /// ```
    ///
    /// # Errors
    /// [`TemplateError::Yaml`], [`TemplateError::DocumentCount`] or
    /// [`TemplateError::Unsupported`] for the YAML itself; [`TemplateError::Invalid`] when
    /// `Resources` or a property this crate reads has the wrong shape (a pattern that is not a
    /// mapping, a target without `Arn`, two input options on one target, ...).
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let document = yaml::to_json(text)?;
        let Value::Object(root) = &document else {
            return Err(TemplateError::invalid("", "a template must be a mapping"));
        };
        let map = match root.get("Resources") {
            Some(Value::Object(map)) => map,
            Some(_) => return Err(TemplateError::invalid("Resources", "must be a mapping")),
            None => return Err(TemplateError::invalid("", "Resources is missing")),
        };
        let resources = Resources { map };
        let globals = root.get("Globals").and_then(|g| g.get("Function"));
        let buses = resources::buses(&resources)?;
        let rules = rules::rules(&resources, &buses)?;
        Ok(Template {
            functions: functions::functions(&resources, globals)?,
            queues: resources::queues(&resources)?,
            tables: resources::tables(&resources)?,
            parameters: resources::parameters(root)?,
            email_identities: resources::email_identities(&resources)?,
            custom_buses: custom_bus::custom_buses(&resources)?,
            subscribers: custom_bus::subscribers(&resources)?,
            buses,
            rules,
        })
    }

    /// The event buses: [`DEFAULT_BUS`] first, then the declared ones.
    pub fn buses(&self) -> &[Bus] {
        &self.buses
    }

    /// A bus by logical id ([`DEFAULT_BUS`] for the default bus).
    pub fn bus(&self, logical_id: &str) -> Option<&Bus> {
        self.buses.iter().find(|b| b.logical_id == logical_id)
    }

    /// Every rule, sorted by logical id.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// A rule by logical id (SAM's generated id for function events).
    pub fn rule(&self, logical_id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.logical_id == logical_id)
    }

    /// The rules attached to a bus, by the bus's logical id ([`DEFAULT_BUS`] included).
    ///
    /// ```
    /// let t = sam_template::Template::from_path(concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml"))?;
    /// assert_eq!(t.rules_on_bus("default").count(), 1);
    /// # Ok::<(), sam_template::TemplateError>(())
    /// ```
    pub fn rules_on_bus<'a>(&'a self, bus: &'a str) -> impl Iterator<Item = &'a Rule> + 'a {
        self.rules
            .iter()
            .filter(move |r| r.bus.logical_id() == Some(bus))
    }

    /// Every function, sorted by logical id.
    pub fn functions(&self) -> &[Function] {
        &self.functions
    }

    /// A function by logical id.
    pub fn function(&self, logical_id: &str) -> Option<&Function> {
        self.functions.iter().find(|f| f.logical_id == logical_id)
    }

    /// Every SQS queue, sorted by logical id.
    pub fn queues(&self) -> &[Queue] {
        &self.queues
    }

    /// A queue by logical id.
    pub fn queue(&self, logical_id: &str) -> Option<&Queue> {
        self.queues.iter().find(|q| q.logical_id == logical_id)
    }

    /// Every DynamoDB table, sorted by logical id.
    pub fn tables(&self) -> &[Table] {
        &self.tables
    }

    /// A table by logical id.
    pub fn table(&self, logical_id: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.logical_id == logical_id)
    }

    /// The template's parameters, in name order.
    pub fn parameters(&self) -> &[Parameter] {
        &self.parameters
    }

    /// The SES identities (`AWS::SES::EmailIdentity`), sorted by logical id.
    pub fn email_identities(&self) -> &[EmailIdentity] {
        &self.email_identities
    }

    /// The Custom Event Buses (`AWS::EventsV2::EventBus`), sorted by logical id.
    pub fn custom_buses(&self) -> &[CustomBus] {
        &self.custom_buses
    }

    /// A Custom Event Bus by logical id.
    pub fn custom_bus(&self, logical_id: &str) -> Option<&CustomBus> {
        self.custom_buses
            .iter()
            .find(|b| b.logical_id == logical_id)
    }

    /// Every subscriber (`AWS::EventsV2::Subscriber`), sorted by logical id.
    ///
    /// ```
    /// use sam_template::{Destination, Ordering, Template};
    ///
    /// let t = Template::from_path(concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml"))?;
    /// let subscriber = &t.subscribers_on_bus("OrderStreamBus").next().unwrap();
    /// assert_eq!(subscriber.ordering(), Ordering::Fifo);
    /// assert_eq!(subscriber.target, Destination::Function("InventoryFunction".into()));
    /// # Ok::<(), sam_template::TemplateError>(())
    /// ```
    pub fn subscribers(&self) -> &[Subscriber] {
        &self.subscribers
    }

    /// The subscribers of a Custom Event Bus, by the bus's logical id.
    pub fn subscribers_on_bus<'a>(
        &'a self,
        bus: &'a str,
    ) -> impl Iterator<Item = &'a Subscriber> + 'a {
        self.subscribers
            .iter()
            .filter(move |s| s.bus.as_deref() == Some(bus))
    }

    /// The functions that consume a queue through an SQS event source.
    ///
    /// ```
    /// let t = sam_template::Template::from_path(concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml"))?;
    /// let consumers: Vec<_> = t.queue_consumers("ShippingQueue").map(|f| f.logical_id.as_str()).collect();
    /// assert_eq!(consumers, ["ShippingFunction"]);
    /// # Ok::<(), sam_template::TemplateError>(())
    /// ```
    pub fn queue_consumers<'a>(
        &'a self,
        queue: &'a str,
    ) -> impl Iterator<Item = &'a Function> + 'a {
        self.functions.iter().filter(move |f| {
            f.events
                .iter()
                .any(|e| matches!(&e.source, EventSource::Sqs { queue: Some(q), .. } if q == queue))
        })
    }

    /// The functions a target's events end up in, with how they get there: the function of a
    /// Lambda target ([`Delivery::Lambda`]), or the consumers of an SQS target's queue
    /// ([`Delivery::Sqs`]). Other targets reach no function.
    ///
    /// ```
    /// use sam_template::{Delivery, Template};
    ///
    /// let t = Template::from_path(concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml"))?;
    /// let target = &t.rule("ShippingOrderCreatedRule").unwrap().targets[0];
    /// assert_eq!(t.reached_functions(target), [("ShippingFunction", Delivery::Sqs)]);
    /// # Ok::<(), sam_template::TemplateError>(())
    /// ```
    pub fn reached_functions<'a>(&'a self, target: &'a Target) -> Vec<(&'a str, Delivery)> {
        match &target.destination {
            Destination::Function(id) => vec![(id.as_str(), Delivery::Lambda)],
            Destination::Queue(queue) => self
                .queue_consumers(queue)
                .map(|f| (f.logical_id.as_str(), Delivery::Sqs))
                .collect(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests;

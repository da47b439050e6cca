//! What serve's EventBridge holds: the event buses (the template's, and those created through the
//! API), the partner event sources with their lifecycle, and the template's rules per bus.
//!
//! A partner event source follows the Partner Onboarding Guide: `CreatePartnerEventSource` makes
//! it `PENDING` for the customer account, and events put to a pending source are dropped; a
//! customer bus created with `EventSourceName` makes it `ACTIVE`, and its events reach that bus;
//! deleting the bus returns it to `PENDING`; `DeletePartnerEventSource` makes it `DELETED`, and a
//! put to it is answered `ResourceNotFoundException`. A bus of the template that names an
//! `EventSourceName` is a customer bus that already accepted its source: the source is `ACTIVE`
//! from the start.

use super::protocol::{ApiError, bus_name};
use crate::stack::Stack;
use chrono::{DateTime, Utc};
use sam_template::{BusRef, Rule, Template};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// An event bus.
#[derive(Debug, Clone)]
pub(crate) struct Bus {
    /// Its name.
    pub(crate) name: String,
    /// Its logical id, for a bus of the template.
    pub(crate) logical_id: Option<String>,
    /// The partner event source it receives, for a partner bus.
    pub(crate) event_source_name: Option<String>,
    /// `CreateEventBus`'s `Description`.
    pub(crate) description: Option<String>,
    /// When it was created.
    pub(crate) created: DateTime<Utc>,
}

/// A partner event source's state for the customer account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SourceState {
    /// Created by the partner, not yet associated with a customer bus: its events are dropped.
    Pending,
    /// Associated with a customer bus: its events reach that bus.
    Active,
    /// Deleted by the partner.
    Deleted,
}

impl SourceState {
    /// The API's word.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SourceState::Pending => "PENDING",
            SourceState::Active => "ACTIVE",
            SourceState::Deleted => "DELETED",
        }
    }
}

/// A partner event source.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    /// `aws.partner/<partner>/<name>`.
    pub(crate) name: String,
    /// The customer account it was created for.
    pub(crate) account: String,
    /// Its state.
    pub(crate) state: SourceState,
    /// When it was created.
    pub(crate) created: DateTime<Utc>,
}

/// Where a partner event goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PartnerRoute {
    /// To this bus.
    Bus(String),
    /// Nowhere: the source is pending (EventBridge drops the event).
    Dropped,
}

/// Buses, partner sources and the template's rules.
#[derive(Debug)]
pub(crate) struct Registry {
    region: String,
    account: String,
    buses: BTreeMap<String, Bus>,
    sources: BTreeMap<String, Source>,
}

impl Registry {
    /// The default bus and the template's buses, under their local names.
    pub(crate) fn new(template: &Template, stack: &Stack) -> Registry {
        let now = Utc::now();
        let mut registry = Registry {
            region: stack.region().to_owned(),
            account: crate::stack::LOCAL_ACCOUNT.to_owned(),
            buses: BTreeMap::new(),
            sources: BTreeMap::new(),
        };
        for bus in template.buses() {
            let name = if bus.is_default {
                "default".to_owned()
            } else {
                match stack.physical_name(&bus.logical_id) {
                    Ok(name) => name.to_owned(),
                    Err(_) => continue,
                }
            };
            let event_source_name = bus
                .event_source_name
                .as_ref()
                .and_then(|expr| stack.resolve(expr).ok());
            if let Some(source) = &event_source_name {
                registry.sources.insert(
                    source.clone(),
                    Source {
                        name: source.clone(),
                        account: registry.account.clone(),
                        state: SourceState::Active,
                        created: now,
                    },
                );
            }
            registry.buses.insert(
                name.clone(),
                Bus {
                    name,
                    logical_id: Some(bus.logical_id.clone()),
                    event_source_name,
                    description: None,
                    created: now,
                },
            );
        }
        registry
    }

    /// The account every resource belongs to.
    pub(crate) fn account(&self) -> &str {
        &self.account
    }

    /// A bus's ARN.
    pub(crate) fn bus_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:events:{}:{}:event-bus/{name}",
            self.region, self.account
        )
    }

    /// A partner event source's ARN.
    pub(crate) fn source_arn(&self, name: &str) -> String {
        format!("arn:aws:events:{}::event-source/{name}", self.region)
    }

    /// A rule's ARN.
    pub(crate) fn rule_arn(&self, bus: &str, rule: &str) -> String {
        let path = if bus == "default" {
            rule.to_owned()
        } else {
            format!("{bus}/{rule}")
        };
        format!(
            "arn:aws:events:{}:{}:rule/{path}",
            self.region, self.account
        )
    }

    /// The bus a name or ARN names (`default` when `None`).
    ///
    /// # Errors
    /// `ResourceNotFoundException` when there is none.
    pub(crate) fn bus(&self, name_or_arn: Option<&str>) -> Result<&Bus, ApiError> {
        let name = bus_name(name_or_arn.unwrap_or("default"));
        self.buses
            .get(name)
            .ok_or_else(|| ApiError::not_found(format!("Event bus {name} does not exist.")))
    }

    /// Every bus whose name starts with `prefix`, in name order.
    pub(crate) fn buses(&self, prefix: Option<&str>) -> impl Iterator<Item = &Bus> {
        let prefix = prefix.unwrap_or("").to_owned();
        self.buses
            .values()
            .filter(move |bus| bus.name.starts_with(&prefix))
    }

    /// `CreateEventBus`: a new bus; with `event_source_name`, the customer bus of a partner
    /// source, which becomes `ACTIVE`.
    ///
    /// # Errors
    /// As EventBridge: the bus exists; a partner bus not named after its source; a source that
    /// does not exist or was deleted; a `/` in the name of a bus that is not a partner bus.
    pub(crate) fn create_bus(
        &mut self,
        name: &str,
        event_source_name: Option<&str>,
        description: Option<&str>,
    ) -> Result<String, ApiError> {
        if self.buses.contains_key(name) {
            return Err(ApiError::already_exists(format!(
                "Event bus {name} already exists."
            )));
        }
        match event_source_name {
            Some(source) => {
                if source != name {
                    return Err(ApiError::validation(format!(
                        "Event source {source} can only be associated with an event bus named {source}."
                    )));
                }
                match self.sources.get_mut(source) {
                    Some(found) if found.state != SourceState::Deleted => {
                        found.state = SourceState::Active;
                    }
                    _ => {
                        return Err(ApiError::not_found(format!(
                            "Event source {source} does not exist."
                        )));
                    }
                }
            }
            None if name.contains('/') => {
                return Err(ApiError::validation("Event bus name must not contain '/'."));
            }
            None => {}
        }
        self.buses.insert(
            name.to_owned(),
            Bus {
                name: name.to_owned(),
                logical_id: None,
                event_source_name: event_source_name.map(str::to_owned),
                description: description.map(str::to_owned),
                created: Utc::now(),
            },
        );
        Ok(self.bus_arn(name))
    }

    /// `DeleteEventBus`: removes a bus created through the API; a partner bus's source returns
    /// to `PENDING`. Deleting a bus that does not exist succeeds, as in EventBridge.
    ///
    /// # Errors
    /// The default bus, and the template's buses (their rules stay for the whole run).
    pub(crate) fn delete_bus(&mut self, name: &str) -> Result<(), ApiError> {
        let name = bus_name(name);
        if name == "default" {
            return Err(ApiError::validation("Cannot delete event bus default."));
        }
        let Some(bus) = self.buses.get(name) else {
            return Ok(());
        };
        if let Some(logical_id) = &bus.logical_id {
            return Err(ApiError::validation(format!(
                "Event bus {name} is the template's {logical_id}: localbus serve keeps the template's buses for the whole run."
            )));
        }
        if let Some(source) = bus
            .event_source_name
            .as_ref()
            .and_then(|source| self.sources.get_mut(source))
            && source.state == SourceState::Active
        {
            source.state = SourceState::Pending;
        }
        self.buses.remove(name);
        Ok(())
    }

    /// `CreatePartnerEventSource`: a `PENDING` source for `account`.
    ///
    /// # Errors
    /// A name outside `aws.partner/`, or a source that exists.
    pub(crate) fn create_source(&mut self, name: &str, account: &str) -> Result<String, ApiError> {
        if !name.starts_with("aws.partner/") || name.split('/').count() < 3 {
            return Err(ApiError::validation(format!(
                "Event source name {name} is not valid: it is aws.partner/<partner name>/<event source name>."
            )));
        }
        if self
            .sources
            .get(name)
            .is_some_and(|source| source.state != SourceState::Deleted)
        {
            return Err(ApiError::already_exists(format!(
                "Event source {name} already exists."
            )));
        }
        self.sources.insert(
            name.to_owned(),
            Source {
                name: name.to_owned(),
                account: account.to_owned(),
                state: SourceState::Pending,
                created: Utc::now(),
            },
        );
        Ok(self.source_arn(name))
    }

    /// A partner event source that was not deleted.
    ///
    /// # Errors
    /// `ResourceNotFoundException` otherwise.
    pub(crate) fn source(&self, name: &str) -> Result<&Source, ApiError> {
        self.sources
            .get(name)
            .filter(|source| source.state != SourceState::Deleted)
            .ok_or_else(|| ApiError::not_found(format!("Event source {name} does not exist.")))
    }

    /// Every partner event source whose name starts with `prefix` (deleted ones included, as
    /// the customer's `ListEventSources` shows them).
    pub(crate) fn sources(&self, prefix: Option<&str>) -> impl Iterator<Item = &Source> {
        let prefix = prefix.unwrap_or("").to_owned();
        self.sources
            .values()
            .filter(move |source| source.name.starts_with(&prefix))
    }

    /// `DeletePartnerEventSource`: the source becomes `DELETED`.
    ///
    /// # Errors
    /// `ResourceNotFoundException` when there is no such source for `account`.
    pub(crate) fn delete_source(&mut self, name: &str, account: &str) -> Result<(), ApiError> {
        match self.sources.get_mut(name) {
            Some(source) if source.account == account && source.state != SourceState::Deleted => {
                source.state = SourceState::Deleted;
                Ok(())
            }
            _ => Err(ApiError::not_found(format!(
                "Event source {name} does not exist for account {account}."
            ))),
        }
    }

    /// Where an event of partner source `name` goes.
    ///
    /// # Errors
    /// The per-entry error of `PutPartnerEvents` when the source does not exist or was deleted.
    pub(crate) fn partner_route(&self, name: &str) -> Result<PartnerRoute, ApiError> {
        let source = self.source(name)?;
        if source.state == SourceState::Pending {
            return Ok(PartnerRoute::Dropped);
        }
        Ok(self
            .buses
            .values()
            .find(|bus| bus.event_source_name.as_deref() == Some(name))
            .map_or(PartnerRoute::Dropped, |bus| {
                PartnerRoute::Bus(bus.name.clone())
            }))
    }

    /// The JSON of a bus, as `DescribeEventBus` and `ListEventBuses` give it.
    pub(crate) fn bus_json(&self, bus: &Bus) -> Value {
        let mut value = json!({
            "Name": bus.name,
            "Arn": self.bus_arn(&bus.name),
            "CreationTime": bus.created.timestamp(),
            "LastModifiedTime": bus.created.timestamp(),
        });
        if let Some(description) = &bus.description {
            value["Description"] = json!(description);
        }
        value
    }
}

/// The template's rules on the bus named `name` (a declared bus under its local name, the
/// default bus, or a bus the template names by a literal name or ARN).
pub(crate) fn rules_on<'a>(template: &'a Template, stack: &Stack, bus: &Bus) -> Vec<&'a Rule> {
    template
        .rules()
        .iter()
        .filter(|rule| match &rule.bus {
            BusRef::External(expr) => stack
                .resolve(expr)
                .is_ok_and(|named| bus_name(&named) == bus.name),
            other => other.logical_id() == bus.logical_id.as_deref(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn registry() -> Registry {
        let template = Template::parse(
            "Resources:\n  OrdersBus:\n    Type: AWS::Events::EventBus\n    Properties:\n      Name: orders\n",
        )
        .unwrap();
        let stack =
            Stack::new(&template, "t", "us-east-1", "123456789012", "http://x", &[]).unwrap();
        Registry::new(&template, &stack)
    }

    #[test]
    fn the_template_buses_and_the_default_bus_exist() {
        let registry = registry();
        assert_eq!(registry.bus(None).unwrap().name, "default");
        let orders = registry
            .bus(Some(
                "arn:aws:events:us-east-1:123456789012:event-bus/orders",
            ))
            .unwrap();
        assert_eq!(orders.logical_id.as_deref(), Some("OrdersBus"));
        let error = registry.bus(Some("nope")).unwrap_err();
        assert_eq!(error.code, "ResourceNotFoundException");
        assert_eq!(error.message, "Event bus nope does not exist.");
    }

    #[test]
    fn a_partner_source_goes_pending_active_pending_deleted() {
        let mut registry = registry();
        let name = "aws.partner/shop.example/store-1";
        registry.create_source(name, "111122223333").unwrap();
        assert_eq!(registry.source(name).unwrap().state, SourceState::Pending);
        assert_eq!(registry.partner_route(name).unwrap(), PartnerRoute::Dropped);
        assert_eq!(
            registry
                .create_bus("other", Some(name), None)
                .unwrap_err()
                .code,
            "ValidationException"
        );
        registry.create_bus(name, Some(name), None).unwrap();
        assert_eq!(registry.source(name).unwrap().state, SourceState::Active);
        assert_eq!(
            registry.partner_route(name).unwrap(),
            PartnerRoute::Bus(name.to_owned())
        );
        registry.delete_bus(name).unwrap();
        assert_eq!(registry.source(name).unwrap().state, SourceState::Pending);
        registry.delete_source(name, "111122223333").unwrap();
        assert_eq!(
            registry.partner_route(name).unwrap_err().code,
            "ResourceNotFoundException"
        );
        assert_eq!(
            registry
                .create_bus(name, Some(name), None)
                .unwrap_err()
                .code,
            "ResourceNotFoundException"
        );
    }

    #[test]
    fn buses_are_validated() {
        let mut registry = registry();
        assert_eq!(
            registry.create_bus("orders", None, None).unwrap_err().code,
            "ResourceAlreadyExistsException"
        );
        assert_eq!(
            registry.create_bus("a/b", None, None).unwrap_err().message,
            "Event bus name must not contain '/'."
        );
        assert_eq!(
            registry.delete_bus("default").unwrap_err().message,
            "Cannot delete event bus default."
        );
        assert!(registry.delete_bus("orders").is_err());
        registry.create_bus("mine", None, Some("d")).unwrap();
        registry.delete_bus("mine").unwrap();
        registry.delete_bus("mine").unwrap();
        assert_eq!(
            registry.create_source("shop/x", "1").unwrap_err().code,
            "ValidationException"
        );
    }
}

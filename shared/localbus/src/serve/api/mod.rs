//! serve's operations: one function per EventBridge operation, over the parsed request. [`events`]
//! holds what puts and tests events (PutEvents, PutPartnerEvents, TestEventPattern), [`resources`]
//! what describes buses, rules and partner event sources.

mod events;
mod resources;

use super::custom_bus::CustomBusApi;
use super::deliveries::Deliveries;
use super::protocol::ApiError;
use super::registry::Registry;
use crate::stack::Stack;
use sam_template::Template;
use serde_json::{Map, Value};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Everything an operation works on.
#[derive(Debug, Clone)]
pub(crate) struct Api {
    pub(crate) template: Arc<Template>,
    pub(crate) stack: Arc<Stack>,
    pub(crate) registry: Arc<Mutex<Registry>>,
    pub(crate) deliveries: Deliveries,
    /// The Custom Event Bus API, which [`super::http`] sends its requests to.
    pub(crate) custom_buses: CustomBusApi,
}

impl Api {
    /// Runs `operation` over `request`: the answer's body, or AWS's error.
    pub(crate) async fn call(
        &self,
        operation: &str,
        request: &Map<String, Value>,
    ) -> Result<Value, ApiError> {
        match operation {
            "PutEvents" => events::put_events(self, request).await,
            "PutPartnerEvents" => events::put_partner_events(self, request).await,
            "TestEventPattern" => events::test_event_pattern(request),
            "DescribeEventBus" => resources::describe_event_bus(self, request),
            "ListEventBuses" => resources::list_event_buses(self, request),
            "CreateEventBus" => resources::create_event_bus(self, request),
            "DeleteEventBus" => resources::delete_event_bus(self, request),
            "ListRules" => resources::list_rules(self, request),
            "DescribeRule" => resources::describe_rule(self, request),
            "ListTargetsByRule" => resources::list_targets_by_rule(self, request),
            "CreatePartnerEventSource" => resources::create_partner_event_source(self, request),
            "DescribePartnerEventSource" => resources::describe_partner_event_source(self, request),
            "ListPartnerEventSources" => resources::list_partner_event_sources(self, request),
            "ListPartnerEventSourceAccounts" => {
                resources::list_partner_event_source_accounts(self, request)
            }
            "DeletePartnerEventSource" => resources::delete_partner_event_source(self, request),
            "DescribeEventSource" => resources::describe_event_source(self, request),
            "ListEventSources" => resources::list_event_sources(self, request),
            other => Err(ApiError::unknown_operation(format!(
                "localbus serve does not emulate the operation {other}"
            ))),
        }
    }

    /// The registry, locked (a panic elsewhere never leaves it unusable).
    fn registry(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

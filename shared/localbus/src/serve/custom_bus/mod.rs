//! serve's Custom Event Bus API (`eventbridgev2`): the requests whose path is
//! `/service/AWSEventsV2/operation/<Operation>` ([`protocol`], Smithy RPC v2 CBOR) are answered
//! here, over the template's `AWS::EventsV2::EventBus` and `AWS::EventsV2::Subscriber`
//! resources; every other request is the Classic API's.
//!
//! [`operations`] holds PutEvents, ListEventBuses, DescribeEventBus, ListSubscribers and
//! DescribeSubscriber. A put goes through the bus's store ([`crate::v2::store`]: retention on
//! disk under `--state-dir`, sequence numbers, the 5-minute de-duplication window), answers at
//! once, and the published events are delivered in the background by [`deliveries`].
//!
//! A `POINT_IN_TIME` subscriber receives the bus's retained events from its starting point as
//! `REPLAY` deliveries when serve starts, then the events published while serve runs (`LIVE`),
//! up to its `EndPoint`.

mod deliveries;
mod operations;
pub(crate) mod protocol;

use super::deliveries::Deliveries;
use crate::deliver::Context;
use crate::v2::filter::SubscriberFilter;
use crate::v2::payload::DeliveryType;
use crate::v2::store::BusStore;
use crate::v2::{BusIdentity, subscriber_arn};
use deliveries::SubscriberWorker;
use protocol::CustomBusError;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// One Custom Event Bus of the template, as serve runs it.
#[derive(Debug)]
struct RunningBus {
    identity: Arc<BusIdentity>,
    store: Mutex<BusStore>,
    subscribers: Vec<SubscriberWorker>,
}

impl RunningBus {
    /// The store, locked (a panic elsewhere never leaves it unusable).
    fn store(&self) -> MutexGuard<'_, BusStore> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The Custom Event Bus side of serve.
#[derive(Debug, Clone)]
pub(crate) struct CustomBusApi {
    context: Arc<Context>,
    deliveries: Deliveries,
    buses: Arc<Vec<RunningBus>>,
    /// When serve started, epoch milliseconds: the buses' and subscribers' `CreationTime`.
    started_ms: i64,
}

impl CustomBusApi {
    /// Opens every Custom Event Bus of the template under `state_dir`, checks every subscriber's
    /// filters, starts one worker per subscriber, and offers each `POINT_IN_TIME` subscriber the
    /// retained events from its starting point.
    ///
    /// # Errors
    /// A bus's store cannot be read, a name cannot be resolved, or a filter is not valid (uses
    /// `wildcard`, or is not an event pattern): serve does not start then, as `send` does not.
    pub(crate) fn start(
        context: Context,
        deliveries: Deliveries,
        state_dir: &Path,
    ) -> Result<CustomBusApi, String> {
        let context = Arc::new(context);
        let now = chrono::Utc::now().timestamp_millis();
        let mut buses = Vec::new();
        for bus in context.template.custom_buses() {
            let identity =
                Arc::new(BusIdentity::of(bus, &context.stack).map_err(|e| e.to_string())?);
            let store = BusStore::open(state_dir, &identity, now).map_err(|e| e.to_string())?;
            let mut subscribers = Vec::new();
            for subscriber in context.template.subscribers_on_bus(&bus.logical_id) {
                let filter = SubscriberFilter::new(subscriber).map_err(|e| e.to_string())?;
                let arn = subscriber_arn(subscriber, &context.stack).map_err(|e| e.to_string())?;
                subscribers.push(SubscriberWorker::start(
                    Arc::clone(&identity),
                    Arc::new(subscriber.clone()),
                    arn,
                    filter,
                    Arc::clone(&context),
                    deliveries.clone(),
                ));
            }
            for event in store.events() {
                for subscriber in &subscribers {
                    subscriber.offer(event, DeliveryType::Replay, &deliveries);
                }
            }
            buses.push(RunningBus {
                identity,
                store: Mutex::new(store),
                subscribers,
            });
        }
        Ok(CustomBusApi {
            context,
            deliveries,
            buses: Arc::new(buses),
            started_ms: now,
        })
    }

    /// Runs `operation` over the request `body`: the answer's CBOR, or the protocol's error.
    pub(crate) fn call(
        &self,
        operation: &str,
        body: &[u8],
    ) -> Result<ciborium::Value, CustomBusError> {
        let request = protocol::request(body)?;
        match operation {
            "PutEvents" => operations::put_events(self, &request),
            "ListEventBuses" => operations::list_event_buses(self, &request),
            "DescribeEventBus" => operations::describe_event_bus(self, &request),
            "ListSubscribers" => operations::list_subscribers(self, &request),
            "DescribeSubscriber" => operations::describe_subscriber(self, &request),
            other => Err(CustomBusError::unknown_operation(format!(
                "localbus serve does not emulate the Custom Event Bus operation {other:?}"
            ))),
        }
    }

    /// The bus an `EventBusArn` names (its ARN, or, leniently, its name or logical id).
    fn bus(&self, arn: &str) -> Result<&RunningBus, CustomBusError> {
        self.buses
            .iter()
            .find(|bus| {
                bus.identity.arn == arn
                    || bus.identity.name == arn
                    || bus.identity.logical_id == arn
            })
            .ok_or_else(|| CustomBusError::not_found(format!("Event bus {arn} does not exist.")))
    }
}

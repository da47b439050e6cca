//! The EventBridge envelope.
//!
//! Every event on a bus has the same top-level fields; the producer's payload sits in `detail`.
//! [`Event<T>`] models all of them, including `replay-name` (present only on events re-sent from
//! an archive), which `aws_lambda_events::eventbridge::EventBridgeEvent` lacks. Conversions to and
//! from that type are provided for code that already uses it.

use crate::custom_bus::CustomBusMetadata;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An EventBridge event whose `detail` is a `T`.
///
/// Field names follow the JSON envelope (`detail-type`, `replay-name`). `id`, `account`, `time` and
/// `region` are always set by EventBridge but are optional here so that hand-written test events
/// and minimal custom events (`source`, `detail-type`, `detail`) still decode.
///
/// ```
/// use eventbridge_lambda::{Event, InstanceState, InstanceStateChange};
///
/// let event = Event::new(InstanceStateChange::new("i-0123456789abcdef0", InstanceState::Stopped))
///     .with_id("6a7e8feb-b491-4cf7-a9f1-bf3703467718");
/// assert_eq!(event.source, "aws.ec2");
/// assert_eq!(event.detail_type, "EC2 Instance State-change Notification");
/// assert_eq!(event.id.as_deref(), Some("6a7e8feb-b491-4cf7-a9f1-bf3703467718"));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Event<T> {
    /// Envelope version; `"0"` for every event today.
    #[serde(default = "default_version")]
    pub version: String,
    /// Unique id of the event (EventBridge generates one per event): the de-duplication key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Identifies, together with `source`, the shape of `detail`.
    pub detail_type: String,
    /// The producer (`aws.ec2`, `com.ecommerce.orders`, …).
    pub source: String,
    /// The 12-digit account the event was sent in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// When the event happened (set by the producer or by EventBridge).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<DateTime<Utc>>,
    /// The Region the event was sent in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The name of the archive replay that re-sent this event; absent on live events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay_name: Option<String>,
    /// ARNs of the resources the event is about (may be empty).
    #[serde(default)]
    pub resources: Vec<String>,
    /// The typed payload.
    pub detail: T,
    /// What a Custom Event Bus subscriber with `Transformer: WITH_METADATA` delivered with the
    /// event (`Metadata` and `SystemMetadata`); `None` for every other delivery. Not part of the
    /// envelope's JSON (never serialized); read it with [`Event::custom_bus`].
    #[serde(skip)]
    pub custom_bus: Option<Box<CustomBusMetadata>>,
}

fn default_version() -> String {
    "0".to_owned()
}

impl<T: crate::TypedDetail> Event<T> {
    /// Builds an event of `T`'s `source` and `detail-type` with `detail`, for tests and producers.
    ///
    /// ```
    /// use eventbridge_lambda::{Event, OrderCreated};
    /// let order: OrderCreated = serde_json::from_str(r#"{"order_id":"o-1",
    ///     "customer_email":"a@b.example","items":[],"timestamp":"2023-10-27T10:00:00Z"}"#).unwrap();
    /// let event = Event::new(order);
    /// assert_eq!((event.source.as_str(), event.detail_type.as_str()), ("com.ecommerce.orders", "OrderCreated"));
    /// assert!(event.id.is_none());
    /// ```
    pub fn new(detail: T) -> Self {
        Self::with_type(T::SOURCE, T::DETAIL_TYPE, detail)
    }
}

impl<T> Event<T> {
    /// Builds an event with an explicit `source` and `detail-type`.
    ///
    /// ```
    /// use eventbridge_lambda::Event;
    /// let event = Event::with_type("com.example", "Ping", serde_json::json!({"n": 1}));
    /// assert_eq!(event.detail["n"], 1);
    /// ```
    pub fn with_type(source: impl Into<String>, detail_type: impl Into<String>, detail: T) -> Self {
        Self {
            version: default_version(),
            id: None,
            detail_type: detail_type.into(),
            source: source.into(),
            account: None,
            time: None,
            region: None,
            replay_name: None,
            resources: Vec::new(),
            detail,
            custom_bus: None,
        }
    }

    /// Sets the event id.
    ///
    /// ```
    /// # use eventbridge_lambda::Event;
    /// let event = Event::with_type("s", "t", ()).with_id("abc");
    /// assert_eq!(event.id.as_deref(), Some("abc"));
    /// ```
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// True when the event is a replay: re-sent by a Classic bus's archive replay (it carries
    /// `replay-name`), or delivered by a Custom Event Bus subscriber as `aws:DeliveryType`
    /// `REPLAY`.
    ///
    /// ```
    /// # use eventbridge_lambda::Event;
    /// use eventbridge_lambda::custom_bus::{CustomBusMetadata, DeliveryType};
    /// let mut event = Event::with_type("s", "t", ());
    /// assert!(!event.is_replay());
    /// event.replay_name = Some("nightly".into());
    /// assert!(event.is_replay());
    ///
    /// let mut metadata = CustomBusMetadata::default();
    /// metadata.system.delivery_type = Some(DeliveryType::Replay);
    /// assert!(Event::with_type("s", "t", ()).with_custom_bus(metadata).is_replay());
    /// ```
    pub fn is_replay(&self) -> bool {
        self.replay_name.is_some()
            || self
                .custom_bus
                .as_ref()
                .is_some_and(|metadata| metadata.system.is_replay())
    }

    /// The `Metadata` and `SystemMetadata` a Custom Event Bus subscriber with
    /// `Transformer: WITH_METADATA` delivered with this event; `None` for a Classic delivery and
    /// for a `RAW` record.
    ///
    /// ```
    /// use eventbridge_lambda::{Dispatcher, Event, OrderCreated};
    /// use eventbridge_lambda::custom_bus::DeliveryType;
    /// let dispatcher = Dispatcher::new(|_: Event<OrderCreated>, _: eventbridge_lambda::Context| async {
    ///     Ok::<_, std::convert::Infallible>(())
    /// });
    /// let record = std::fs::read("../events/eventbridgev2/with-metadata-single.json").unwrap();
    /// let event = dispatcher.decode_record(&record).unwrap();
    /// let system = &event.custom_bus().unwrap().system;
    /// assert_eq!(system.delivery_type, Some(DeliveryType::Live));
    /// assert_ne!(system.event_id, event.id); // the bus's id differs from the envelope's
    ///
    /// let classic = std::fs::read("../events/order-created.json").unwrap();
    /// assert!(dispatcher.decode(&classic).unwrap().custom_bus().is_none());
    /// ```
    pub fn custom_bus(&self) -> Option<&CustomBusMetadata> {
        self.custom_bus.as_deref()
    }

    /// Attaches Custom Event Bus metadata (for tests and for code building events by hand).
    ///
    /// ```
    /// # use eventbridge_lambda::Event;
    /// use eventbridge_lambda::custom_bus::CustomBusMetadata;
    /// let mut metadata = CustomBusMetadata::default();
    /// metadata.system.event_id = Some("bus-1".into());
    /// let event = Event::with_type("s", "t", ()).with_custom_bus(metadata);
    /// assert_eq!(event.custom_bus().unwrap().system.event_id.as_deref(), Some("bus-1"));
    /// ```
    pub fn with_custom_bus(mut self, metadata: CustomBusMetadata) -> Self {
        self.custom_bus = Some(Box::new(metadata));
        self
    }

    /// The key the dispatcher de-duplicates on when no business key is set: the Custom Event
    /// Bus's `aws:EventId` when the record has one (it differs from the envelope's `id`, and stays
    /// the same when the bus re-delivers or replays the event), else the envelope `id`.
    ///
    /// ```
    /// # use eventbridge_lambda::Event;
    /// use eventbridge_lambda::custom_bus::CustomBusMetadata;
    /// let event = Event::with_type("s", "t", ()).with_id("envelope-1");
    /// assert_eq!(event.delivery_id(), Some("envelope-1"));
    /// let mut metadata = CustomBusMetadata::default();
    /// metadata.system.event_id = Some("bus-1".into());
    /// assert_eq!(event.with_custom_bus(metadata).delivery_id(), Some("bus-1"));
    /// ```
    pub fn delivery_id(&self) -> Option<&str> {
        self.custom_bus
            .as_ref()
            .and_then(|metadata| metadata.system.event_id.as_deref())
            .or(self.id.as_deref())
    }

    /// Replaces the detail, keeping the envelope.
    ///
    /// ```
    /// # use eventbridge_lambda::Event;
    /// let event = Event::with_type("s", "t", 1).map_detail(|n| n + 1);
    /// assert_eq!(event.detail, 2);
    /// ```
    pub fn map_detail<U>(self, f: impl FnOnce(T) -> U) -> Event<U> {
        Event {
            version: self.version,
            id: self.id,
            detail_type: self.detail_type,
            source: self.source,
            account: self.account,
            time: self.time,
            region: self.region,
            replay_name: self.replay_name,
            resources: self.resources,
            detail: f(self.detail),
            custom_bus: self.custom_bus,
        }
    }
}

impl<T> From<aws_lambda_events::event::eventbridge::EventBridgeEvent<T>> for Event<T>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    /// Converts from `aws_lambda_events`' envelope (which has no `replay-name`).
    fn from(event: aws_lambda_events::event::eventbridge::EventBridgeEvent<T>) -> Self {
        Self {
            version: event.version.unwrap_or_else(default_version),
            id: event.id,
            detail_type: event.detail_type,
            source: event.source,
            account: event.account,
            time: event.time,
            region: event.region,
            replay_name: None,
            resources: event.resources.unwrap_or_default(),
            detail: event.detail,
            custom_bus: None,
        }
    }
}

impl<T> From<Event<T>> for aws_lambda_events::event::eventbridge::EventBridgeEvent<T>
where
    T: serde::Serialize + serde::de::DeserializeOwned + Default,
{
    /// Converts to `aws_lambda_events`' envelope; `replay-name` is dropped (it has no such field).
    fn from(event: Event<T>) -> Self {
        let mut out = Self::default();
        out.version = Some(event.version);
        out.id = event.id;
        out.detail_type = event.detail_type;
        out.source = event.source;
        out.account = event.account;
        out.time = event.time;
        out.region = event.region;
        out.resources = Some(event.resources);
        out.detail = event.detail;
        out
    }
}

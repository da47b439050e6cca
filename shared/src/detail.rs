//! Tying a detail type to the events it accepts.
//!
//! A handler over `Event<T>` only accepts events that `T` claims by `source` and `detail-type`:
//!
//! * [`TypedDetail`] is for one struct per event type: `#[derive(Deserialize, TypedDetail)]` and
//!   `#[detail(source = "…", detail_type = "…")]`;
//! * [`Detail`] is the general trait the runtime uses. It is implemented for every `TypedDetail`,
//!   derived for enums over several detail types such as [`CleanRoomsEvent`](crate::CleanRoomsEvent)
//!   (`#[derive(Detail)]`: each variant holds one detail type, an optional catch-all keeps the
//!   rest), and implemented for `serde_json::Value` (the raw envelope: every event is accepted).

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// Derives [`TypedDetail`](trait@TypedDetail) for a detail type from its event's `source` and
/// `detail-type`, given in `#[detail(source = "…", detail_type = "…")]`.
///
/// ```
/// use eventbridge_lambda::{Detail, TypedDetail};
///
/// #[derive(serde::Deserialize, TypedDetail)]
/// #[detail(source = "com.ecommerce.payments", detail_type = "RefundIssued")]
/// struct RefundIssued { order_id: String }
///
/// assert_eq!(RefundIssued::SOURCE, "com.ecommerce.payments");
/// assert!(RefundIssued::accepts("com.ecommerce.payments", "RefundIssued"));
/// assert!(!RefundIssued::accepts("com.ecommerce.orders", "RefundIssued"));
/// ```
///
/// Both keys are required and non-empty; the type must also implement `Deserialize`. A missing or
/// unknown key is a compile error at your tokens:
///
/// ```compile_fail
/// use eventbridge_lambda::TypedDetail;
/// #[derive(serde::Deserialize, TypedDetail)]
/// #[detail(source = "com.ecommerce.payments")] // no `detail_type`
/// struct RefundIssued { order_id: String }
/// ```
pub use eventbridge_lambda_macros::TypedDetail;

/// Derives [`Detail`](trait@Detail) for an enum whose variants each hold the detail of some
/// events, chosen by the event's `source` and `detail-type`.
///
/// A variant is one of:
///
/// * `Name(T)` where `T` implements `Detail`: a [`TypedDetail`](trait@TypedDetail) struct, or
///   another such enum. It takes the events `T` accepts. A `Box<T>` field is routed and decoded as
///   `T`, then boxed (for a detail much larger than the others).
/// * `#[detail(detail_type = "…")] Name(T)` where `T` only implements `Deserialize` (one struct
///   shared by several detail types): it takes that `detail-type` from the `source` given on the
///   variant (`source = "…"`) or on the enum (`#[detail(source = "…")]`).
/// * `#[detail(other)]`, at most one: the catch-all, which keeps every event no other variant
///   takes instead of rejecting it, either as `Name(serde_json::Value)` (any `Deserialize` type) or
///   as the raw envelope parts `Name { source: String, detail_type: String, detail:
///   serde_json::Value }` (`source` and `detail_type` are optional). With a `source` on the enum,
///   the catch-all keeps only that source's events.
///
/// Variants are tried in the order written, the catch-all last. Without a catch-all, an event
/// that no variant takes is rejected with the same typed
/// [`DecodeError::UnexpectedType`](crate::DecodeError::UnexpectedType) as for a single type,
/// naming what the enum accepts.
///
/// ```
/// use eventbridge_lambda::{Detail, InstanceStateChange, OrderCreated, TypedDetail};
/// use eventbridge_lambda::decode::decode_event;
/// use eventbridge_lambda::{DecodeError, Event};
///
/// #[derive(Debug, serde::Deserialize, TypedDetail)]
/// #[detail(source = "com.ecommerce.payments", detail_type = "RefundIssued")]
/// struct RefundIssued { order_id: String }
///
/// #[derive(Debug, Detail)]
/// enum ShopEvent {
///     Order(OrderCreated),
///     Refund(RefundIssued),
///     Instance(InstanceStateChange),
/// }
///
/// let refund = br#"{"id": "e-1", "source": "com.ecommerce.payments", "detail-type": "RefundIssued",
///     "detail": {"order_id": "o-1"}}"#;
/// let event: Event<ShopEvent> = decode_event(refund).unwrap();
/// assert!(matches!(&event.detail, ShopEvent::Refund(refund) if refund.order_id == "o-1"));
///
/// let unknown = br#"{"id": "e-2", "source": "com.ecommerce.payments", "detail-type": "RefundFailed",
///     "detail": {}}"#;
/// let error = decode_event::<ShopEvent>(unknown).unwrap_err();
/// assert!(matches!(error, DecodeError::UnexpectedType { .. }), "{error}");
/// ```
///
/// With a source of its own, detail types sharing one struct, and a catch-all that keeps that
/// source's other events:
///
/// ```
/// use eventbridge_lambda::Detail;
///
/// #[derive(serde::Deserialize)]
/// struct Refund { order_id: String }
///
/// #[derive(Detail)]
/// #[detail(source = "com.ecommerce.payments")]
/// enum PaymentEvent {
///     #[detail(detail_type = "RefundIssued")]
///     Issued(Refund),
///     #[detail(detail_type = "RefundReversed")]
///     Reversed(Refund),
///     #[detail(other)]
///     Other { detail_type: String, detail: serde_json::Value },
/// }
///
/// let raw = serde_json::value::RawValue::from_string(r#"{"order_id": "o-1"}"#.into()).unwrap();
/// let event = PaymentEvent::decode("com.ecommerce.payments", "RefundReversed", &raw).unwrap();
/// assert!(matches!(event, PaymentEvent::Reversed(Refund { order_id }) if order_id == "o-1"));
/// let event = PaymentEvent::decode("com.ecommerce.payments", "ChargebackOpened", &raw).unwrap();
/// assert!(matches!(event, PaymentEvent::Other { detail_type, .. } if detail_type == "ChargebackOpened"));
/// assert!(PaymentEvent::accepts("com.ecommerce.payments", "Anything New"));
/// assert!(!PaymentEvent::accepts("com.ecommerce.orders", "OrderCreated"));
/// assert_eq!(PaymentEvent::expected(), r#"source "com.ecommerce.payments" (any detail-type)"#);
/// ```
///
/// Misuse is a compile error at your tokens (the exact diagnostics are pinned by the UI tests in
/// `shared/tests/ui`), for instance a variant that holds no detail:
///
/// ```compile_fail
/// use eventbridge_lambda::{Detail, OrderCreated};
/// #[derive(Detail)]
/// enum ShopEvent { Order(OrderCreated), Nothing }
/// ```
pub use eventbridge_lambda_macros::Detail;

/// A detail type bound to exactly one `source` and `detail-type`. Derive it with
/// [`#[derive(TypedDetail)]`](macro@TypedDetail), or write the two constants:
///
/// ```
/// use eventbridge_lambda::{Detail, TypedDetail};
///
/// #[derive(serde::Deserialize)]
/// struct RefundIssued { order_id: String }
///
/// impl TypedDetail for RefundIssued {
///     const SOURCE: &'static str = "com.ecommerce.payments";
///     const DETAIL_TYPE: &'static str = "RefundIssued";
/// }
///
/// assert!(RefundIssued::accepts("com.ecommerce.payments", "RefundIssued"));
/// assert!(!RefundIssued::accepts("com.ecommerce.orders", "RefundIssued"));
/// ```
pub trait TypedDetail: DeserializeOwned {
    /// The `source` of the events carrying this detail.
    const SOURCE: &'static str;
    /// The `detail-type` of the events carrying this detail.
    const DETAIL_TYPE: &'static str;
}

/// How the runtime recognises and decodes the `detail` of an event.
///
/// For an enum over several detail types, [`#[derive(Detail)]`](macro@Detail) writes it. By hand
/// (for routing the derive does not express), it looks like this:
///
/// ```
/// use eventbridge_lambda::{Detail, InstanceStateChange, OrderCreated, TypedDetail};
/// use serde_json::value::RawValue;
/// use std::borrow::Cow;
///
/// enum ShopOrInstance { Order(OrderCreated), Instance(InstanceStateChange) }
///
/// impl Detail for ShopOrInstance {
///     fn expected() -> Cow<'static, str> { "an OrderCreated or EC2 state-change event".into() }
///     fn accepts(source: &str, detail_type: &str) -> bool {
///         OrderCreated::accepts(source, detail_type) || InstanceStateChange::accepts(source, detail_type)
///     }
///     fn decode(source: &str, detail_type: &str, detail: &RawValue) -> Result<Self, serde_json::Error> {
///         if OrderCreated::accepts(source, detail_type) {
///             OrderCreated::decode(source, detail_type, detail).map(Self::Order)
///         } else {
///             InstanceStateChange::decode(source, detail_type, detail).map(Self::Instance)
///         }
///     }
/// }
/// ```
pub trait Detail: Sized {
    /// What this type accepts, for error messages (e.g. `source "aws.ec2", detail-type "…"`).
    fn expected() -> Cow<'static, str>;

    /// Whether events with this `source` and `detail-type` carry this detail.
    fn accepts(source: &str, detail_type: &str) -> bool;

    /// Decodes `detail` of an accepted event. Called only when [`Detail::accepts`] returned true.
    ///
    /// # Errors
    /// The serde error when `detail` does not have the expected shape.
    fn decode(
        source: &str,
        detail_type: &str,
        detail: &RawValue,
    ) -> Result<Self, serde_json::Error>;
}

impl<T: TypedDetail> Detail for T {
    fn expected() -> Cow<'static, str> {
        Cow::Owned(format!(
            "source {:?} with detail-type {:?}",
            T::SOURCE,
            T::DETAIL_TYPE
        ))
    }

    fn accepts(source: &str, detail_type: &str) -> bool {
        source == T::SOURCE && detail_type == T::DETAIL_TYPE
    }

    fn decode(
        _source: &str,
        _detail_type: &str,
        detail: &RawValue,
    ) -> Result<Self, serde_json::Error> {
        decode_json(detail)
    }
}

/// The raw envelope: every event is accepted and `detail` is kept as JSON.
///
/// ```
/// use eventbridge_lambda::Detail;
/// assert!(serde_json::Value::accepts("anything", "at all"));
/// ```
impl Detail for serde_json::Value {
    fn expected() -> Cow<'static, str> {
        Cow::Borrowed("any event")
    }

    fn accepts(_source: &str, _detail_type: &str) -> bool {
        true
    }

    fn decode(
        _source: &str,
        _detail_type: &str,
        detail: &RawValue,
    ) -> Result<Self, serde_json::Error> {
        serde_json::from_str(detail.get())
    }
}

/// Decodes a detail, keeping the path of the failing field in the message
/// (e.g. `items[0].quantity: invalid type: string "2", expected u32`).
///
/// ```
/// use eventbridge_lambda::{OrderCreated, detail::decode_json};
/// let raw = serde_json::value::RawValue::from_string(r#"{"order_id": 7}"#.into()).unwrap();
/// let error = decode_json::<OrderCreated>(&raw).unwrap_err();
/// assert!(error.to_string().starts_with("order_id: invalid type: integer `7`"), "{error}");
/// ```
///
/// # Errors
/// The serde error, its message prefixed with the JSON path of the offending field.
pub fn decode_json<T: DeserializeOwned>(detail: &RawValue) -> Result<T, serde_json::Error> {
    // The fast path has no path tracking; only a failure is decoded again to find the field.
    serde_json::from_str(detail.get()).map_err(|error| {
        let mut de = serde_json::Deserializer::from_str(detail.get());
        match serde_path_to_error::deserialize::<_, T>(&mut de) {
            Err(tracked) if !matches!(tracked.path().to_string().as_str(), "." | "") => {
                let path = tracked.path().to_string();
                <serde_json::Error as serde::de::Error>::custom(format_args!(
                    "{path}: {}",
                    tracked.into_inner()
                ))
            }
            _ => error,
        }
    })
}

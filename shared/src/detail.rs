//! Tying a detail type to the events it accepts.
//!
//! A handler over `Event<T>` only accepts events that `T` claims by `source` and `detail-type`:
//!
//! * [`TypedDetail`] is for one struct per event type (three lines: two constants and a derive);
//! * [`Detail`] is the general trait the runtime uses. It is implemented for every `TypedDetail`,
//!   for enums over several detail types such as [`CleanRoomsEvent`](crate::CleanRoomsEvent), and
//!   for `serde_json::Value` (the raw envelope: every event is accepted).

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// A detail type bound to exactly one `source` and `detail-type`.
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
/// Implement it directly for an enum over several detail types:
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

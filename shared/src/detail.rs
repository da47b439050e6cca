//! Tying a detail type to the events it accepts.
//!
//! A handler over `Event<T>` only accepts events that `T` claims by `source` and `detail-type`:
//!
//! * [`TypedDetail`] is for one struct per event type (three lines: two constants and a derive);
//! * [`Detail`] is the general trait the runtime uses. It is implemented for every `TypedDetail`,
//!   for enums over several detail types such as [`CleanRoomsEvent`](crate::CleanRoomsEvent), and
//!   for `serde_json::Value` (the raw envelope: every event is accepted).

use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer, Error as _, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

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

    /// Whether [`Detail::decode_from`] ignores its `source` and `detail_type` arguments: the
    /// detail's type is fixed, only whether an event is accepted depends on them. The runtime
    /// then decodes `detail` in place even when it comes before `source` and `detail-type` in the
    /// payload (passing empty strings) and checks [`Detail::accepts`] once they are read.
    /// `false` by default; `true` for every [`TypedDetail`].
    const DECODE_IGNORES_TYPE: bool = false;

    /// Decodes `detail` straight from the envelope's JSON deserializer, in the same pass that
    /// reads the envelope (the fast path). Called with the deserializer positioned at the
    /// detail's value, for an event that [`Detail::accepts`] (or, when
    /// [`Detail::DECODE_IGNORES_TYPE`] is true, before `source` and `detail-type` are known).
    ///
    /// It must agree with [`Detail::decode`]: succeed only when `detail` is a JSON object that
    /// `decode` accepts, with the same value. Its errors are not reported: when it fails, the
    /// runtime reads the payload again the two-step way and reports what [`Detail::decode`]
    /// says. The default captures the raw JSON and calls [`Detail::decode`]; every
    /// [`TypedDetail`] decodes in place without that second pass over the detail.
    ///
    /// # Errors
    /// Any error of `deserializer`, or one made with [`serde::de::Error::custom`].
    fn decode_from<'de, D: Deserializer<'de>>(
        source: &str,
        detail_type: &str,
        deserializer: D,
    ) -> Result<Self, D::Error> {
        let detail = <&'de RawValue>::deserialize(deserializer)?;
        if !detail.get().starts_with('{') {
            return Err(D::Error::custom("`detail` is not a JSON object"));
        }
        Self::decode(source, detail_type, detail).map_err(D::Error::custom)
    }
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

    const DECODE_IGNORES_TYPE: bool = true;

    fn decode_from<'de, D: Deserializer<'de>>(
        _source: &str,
        _detail_type: &str,
        deserializer: D,
    ) -> Result<Self, D::Error> {
        T::deserialize(ObjectOnly(deserializer))
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

    const DECODE_IGNORES_TYPE: bool = true;

    fn decode_from<'de, D: Deserializer<'de>>(
        _source: &str,
        _detail_type: &str,
        deserializer: D,
    ) -> Result<Self, D::Error> {
        Self::deserialize(ObjectOnly(deserializer))
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

/// A deserializer that only lets a JSON object through: the detail's own `Deserialize` runs
/// unchanged, but any value other than an object (which [`decode_json`] would be given only after
/// the `detail must be an object` check) is an error. serde_json hands an object to a visitor only
/// through `visit_map`, so every other `visit_*` is refused by [`MapOnly`].
struct ObjectOnly<D>(D);

/// Forwards `deserialize_*` methods to the inner deserializer with the visitor wrapped in
/// [`MapOnly`].
macro_rules! forward_object_only {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
                self.0.$method($($arg,)* MapOnly(visitor))
            }
        )*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for ObjectOnly<D> {
    type Error = D::Error;

    forward_object_only! {
        deserialize_any();
        deserialize_bool();
        deserialize_i8();
        deserialize_i16();
        deserialize_i32();
        deserialize_i64();
        deserialize_i128();
        deserialize_u8();
        deserialize_u16();
        deserialize_u32();
        deserialize_u64();
        deserialize_u128();
        deserialize_f32();
        deserialize_f64();
        deserialize_char();
        deserialize_str();
        deserialize_string();
        deserialize_bytes();
        deserialize_byte_buf();
        deserialize_option();
        deserialize_unit();
        deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str);
        deserialize_seq();
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_map();
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
        deserialize_identifier();
        deserialize_ignored_any();
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

/// A visitor that accepts only a map, handing it to the wrapped visitor.
struct MapOnly<V>(V);

impl<'de, V: Visitor<'de>> Visitor<'de> for MapOnly<V> {
    type Value = V::Value;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(map)
    }
}

//! Typed `detail` payloads.
//!
//! * [`order`]: the shop's `OrderCreated` (source `com.ecommerce.orders`).
//! * [`ec2`]: EC2 Instance State-change Notification (source `aws.ec2`).
//! * [`cleanrooms`]: every AWS Clean Rooms event (source `aws.cleanrooms`), as one enum.
//!
//! Enumerations of string values (instance states, statuses) keep unknown values in an
//! `Unknown(String)` variant instead of failing, so a new value from AWS never poisons an event.

pub mod cleanrooms;
pub mod ec2;
pub mod order;

/// `DateTime<Utc>` as RFC 3339 text, parsed with chrono's dedicated RFC 3339 parser (several
/// times faster than the generic `FromStr` behind chrono's own `Deserialize`).
pub(crate) mod rfc3339 {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::{Deserialize, Deserializer, Serializer};
    use std::borrow::Cow;

    pub(crate) fn serialize<S: Serializer>(
        at: &DateTime<Utc>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&at.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        let text = <Cow<'de, str>>::deserialize(deserializer)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|at| at.with_timezone(&Utc))
            .map_err(|error| {
                serde::de::Error::custom(format_args!(
                    "{text:?} is not an RFC 3339 timestamp: {error}"
                ))
            })
    }
}

/// Declares a string enumeration with an `Unknown(String)` fallback, serialized as the plain string.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[$vmeta:meta])* $variant:ident => $text:literal, )+ }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version does not know; kept as received.
            Unknown(String),
        }

        impl $name {
            /// The value as it appears in JSON.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $text, )+
                    Self::Unknown(other) => other,
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Ok(match value {
                    $( $text => Self::$variant, )+
                    other => Self::Unknown(other.to_owned()),
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                let Ok(value) = text.parse();
                Ok(value)
            }
        }
    };
}
pub(crate) use string_enum;

//! AWS Clean Rooms events (`source` = `aws.cleanrooms`), on the account's default bus.
//!
//! **AWS publishes no schema for the `detail` of these events**: the events reference lists only
//! the detail-type names, and the only documented field is `status` (a `Membership Updated`
//! event with `detail.status` = `COLLABORATION_DELETED` tells members that the collaboration was
//! deleted). The structs here are therefore *derived from the Clean Rooms API shapes*
//! (`Collaboration`, `Membership`, `ProtectedQuery`, `ProtectedJob`): every field is optional,
//! timestamps are accepted as RFC 3339 text or epoch numbers, and every field not modelled is kept
//! in `other`, so nothing a real event carries is lost and no real event fails to decode because
//! of a field we guessed wrong.
//!
//! [`CleanRoomsEvent`] is one enum keyed by `detail-type` covering the 13 original detail types
//! and the 5 newer ones in the EventBridge reference; any other detail type decodes to
//! [`CleanRoomsEvent::Unknown`] with the raw detail.

use crate::Detail;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The `source` of every Clean Rooms event (also written in `CleanRoomsEvent`'s
/// `#[detail(source = …)]`).
pub const SOURCE: &str = "aws.cleanrooms";

/// A timestamp as Clean Rooms may encode it: RFC 3339 text or epoch seconds (the API's encoding).
/// Kept in its original form so that re-serializing gives back the same JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Timestamp {
    /// RFC 3339 text, e.g. `"2025-08-01T12:00:00Z"`.
    DateTime(DateTime<Utc>),
    /// Seconds since the epoch, possibly fractional.
    EpochSeconds(serde_json::Number),
    /// Any other text, kept as received.
    Text(String),
}

impl Timestamp {
    /// The instant, when the value could be interpreted.
    ///
    /// ```
    /// use eventbridge_lambda::details::cleanrooms::Timestamp;
    /// let t: Timestamp = serde_json::from_str("1754049600").unwrap();
    /// assert_eq!(t.to_datetime().unwrap().to_rfc3339(), "2025-08-01T12:00:00+00:00");
    /// let t: Timestamp = serde_json::from_str(r#""2025-08-01T12:00:00Z""#).unwrap();
    /// assert_eq!(t.to_datetime().unwrap().timestamp(), 1754049600);
    /// ```
    pub fn to_datetime(&self) -> Option<DateTime<Utc>> {
        match self {
            Self::DateTime(at) => Some(*at),
            Self::EpochSeconds(n) => {
                let seconds = n.as_f64()?;
                // Whole milliseconds; the float-to-int conversion saturates and is checked below.
                #[allow(clippy::cast_possible_truncation)]
                let millis = (seconds * 1000.0).round() as i64;
                DateTime::from_timestamp_millis(millis)
            }
            Self::Text(_) => None,
        }
    }
}

super::string_enum! {
    /// Status of a membership (`MembershipStatus` in the Clean Rooms API).
    pub enum MembershipStatus {
        /// The membership is active.
        Active => "ACTIVE",
        /// The member was removed from the collaboration.
        Removed => "REMOVED",
        /// The collaboration was deleted (documented for `Membership Updated`).
        CollaborationDeleted => "COLLABORATION_DELETED",
    }
}

super::string_enum! {
    /// The caller's status as a member of a collaboration (`MemberStatus`).
    pub enum MemberStatus {
        /// Invited, not yet joined.
        Invited => "INVITED",
        /// Active member.
        Active => "ACTIVE",
        /// Left the collaboration.
        Left => "LEFT",
        /// Removed from the collaboration.
        Removed => "REMOVED",
    }
}

super::string_enum! {
    /// Status of a protected query (`ProtectedQueryStatus`).
    pub enum ProtectedQueryStatus {
        /// Submitted.
        Submitted => "SUBMITTED",
        /// Started.
        Started => "STARTED",
        /// Cancelled.
        Cancelled => "CANCELLED",
        /// Being cancelled.
        Cancelling => "CANCELLING",
        /// Failed.
        Failed => "FAILED",
        /// Succeeded.
        Success => "SUCCESS",
        /// Timed out.
        TimedOut => "TIMED_OUT",
    }
}

super::string_enum! {
    /// Status of a protected job (`ProtectedJobStatus`; there is no timed-out state).
    pub enum ProtectedJobStatus {
        /// Submitted.
        Submitted => "SUBMITTED",
        /// Started.
        Started => "STARTED",
        /// Cancelled.
        Cancelled => "CANCELLED",
        /// Being cancelled.
        Cancelling => "CANCELLING",
        /// Failed.
        Failed => "FAILED",
        /// Succeeded.
        Success => "SUCCESS",
    }
}

/// Detail of `Collaboration Created` / `Collaboration Updated` (derived from the API's `Collaboration`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Collaboration {
    /// Collaboration id (UUID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Collaboration ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Account that created the collaboration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator_account_id: Option<String>,
    /// Display name of the creator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator_display_name: Option<String>,
    /// Creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<Timestamp>,
    /// Last update time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_time: Option<Timestamp>,
    /// The receiving account's member status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_status: Option<MemberStatus>,
    /// The receiving account's membership id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub membership_id: Option<String>,
    /// The receiving account's membership ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub membership_arn: Option<String>,
    /// `ENABLED` / `DISABLED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_log_status: Option<String>,
    /// Every field not modelled above, kept as received.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// Detail of `Membership Created` / `Updated` / `Deleted` (derived from the API's `Membership`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Membership {
    /// Membership id (UUID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Membership ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// Collaboration ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collaboration_arn: Option<String>,
    /// Collaboration id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collaboration_id: Option<String>,
    /// Account that created the collaboration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collaboration_creator_account_id: Option<String>,
    /// Collaboration name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collaboration_name: Option<String>,
    /// Creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<Timestamp>,
    /// Last update time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_time: Option<Timestamp>,
    /// Membership status; the one documented field (`COLLABORATION_DELETED` on deletion).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<MembershipStatus>,
    /// `CAN_QUERY`, `CAN_RECEIVE_RESULTS`, `CAN_RUN_JOB`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_abilities: Option<Vec<String>>,
    /// Every field not modelled above, kept as received.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// An error reported for a failed query or job.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunError {
    /// Error code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Human-readable message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Every field not modelled above, kept as received.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// Run statistics of a query or job.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Statistics {
    /// Total duration in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_duration_in_millis: Option<i64>,
    /// Every field not modelled above (e.g. `billedResourceUtilization`), kept as received.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// Detail of the `Protected Query …` events (derived from the API's `ProtectedQuery`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProtectedQuery {
    /// Protected query id (UUID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Membership that ran the query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub membership_id: Option<String>,
    /// Membership ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub membership_arn: Option<String>,
    /// Creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<Timestamp>,
    /// Query status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ProtectedQueryStatus>,
    /// Run statistics (terminal states).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistics: Option<Statistics>,
    /// Failure details (failed queries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<RunError>,
    /// Result location (a union in the API; kept as JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// Every field not modelled above, kept as received.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// Detail of the `Protected Job …` events (derived from the API's `ProtectedJob`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProtectedJob {
    /// Protected job id (UUID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Membership that ran the job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub membership_id: Option<String>,
    /// Membership ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub membership_arn: Option<String>,
    /// Creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<Timestamp>,
    /// Job status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ProtectedJobStatus>,
    /// Run statistics (terminal states).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistics: Option<Statistics>,
    /// Failure details (failed jobs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<RunError>,
    /// Result location (kept as JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// Every field not modelled above, kept as received.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// Declares [`CleanRoomsEvent`] and its detail-type table from one list.
macro_rules! clean_rooms_events {
    ( $( $(#[$doc:meta])* $variant:ident($detail:ty) => $text:literal, )+ ) => {
        /// Any AWS Clean Rooms event, keyed by `detail-type`.
        ///
        /// ```
        /// use eventbridge_lambda::{CleanRoomsEvent, Detail};
        /// use eventbridge_lambda::details::cleanrooms::MembershipStatus;
        /// let raw = serde_json::value::RawValue::from_string(
        ///     r#"{"status": "COLLABORATION_DELETED", "collaborationId": "c-1"}"#.into()).unwrap();
        /// let event = CleanRoomsEvent::decode("aws.cleanrooms", "Membership Updated", &raw).unwrap();
        /// let CleanRoomsEvent::MembershipUpdated(membership) = &event else { panic!() };
        /// assert_eq!(membership.status, Some(MembershipStatus::CollaborationDeleted));
        /// assert_eq!(membership.collaboration_id.as_deref(), Some("c-1"));
        /// assert_eq!(event.detail_type(), "Membership Updated");
        ///
        /// let other = CleanRoomsEvent::decode("aws.cleanrooms", "Analysis Template Created", &raw).unwrap();
        /// assert!(matches!(other, CleanRoomsEvent::Unknown { .. }));
        /// ```
        #[derive(Clone, Debug, PartialEq, Detail)]
        #[detail(source = "aws.cleanrooms")]
        pub enum CleanRoomsEvent {
            $( $(#[$doc])* #[detail(detail_type = $text)] $variant($detail), )+
            /// A Clean Rooms detail type this version does not model, with its raw detail.
            #[detail(other)]
            Unknown {
                /// The event's `detail-type`.
                detail_type: String,
                /// The detail as received.
                detail: Value,
            },
        }

        impl CleanRoomsEvent {
            /// Every detail type modelled by a variant other than `Unknown`.
            pub const DETAIL_TYPES: &'static [&'static str] = &[ $( $text, )+ ];

            /// The `detail-type` of this event.
            pub fn detail_type(&self) -> &str {
                match self {
                    $( Self::$variant(_) => $text, )+
                    Self::Unknown { detail_type, .. } => detail_type,
                }
            }
        }

        impl Serialize for CleanRoomsEvent {
            /// Serializes the detail only; the `detail-type` lives in the envelope.
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    $( Self::$variant(detail) => detail.serialize(serializer), )+
                    Self::Unknown { detail, .. } => detail.serialize(serializer),
                }
            }
        }
    };
}

clean_rooms_events! {
    /// `Collaboration Created`.
    CollaborationCreated(Collaboration) => "Collaboration Created",
    /// `Collaboration Updated`.
    CollaborationUpdated(Collaboration) => "Collaboration Updated",
    /// `Membership Created`.
    MembershipCreated(Membership) => "Membership Created",
    /// `Membership Updated` (`status` tells whether the collaboration was deleted).
    MembershipUpdated(Membership) => "Membership Updated",
    /// `Membership Deleted`.
    MembershipDeleted(Membership) => "Membership Deleted",
    /// `Protected Query Submitted`.
    ProtectedQuerySubmitted(ProtectedQuery) => "Protected Query Submitted",
    /// `Protected Query Started`.
    ProtectedQueryStarted(ProtectedQuery) => "Protected Query Started",
    /// `Protected Query Succeeded`.
    ProtectedQuerySucceeded(ProtectedQuery) => "Protected Query Succeeded",
    /// `Protected Query Failed`.
    ProtectedQueryFailed(ProtectedQuery) => "Protected Query Failed",
    /// `Protected Query Timed Out`.
    ProtectedQueryTimedOut(ProtectedQuery) => "Protected Query Timed Out",
    /// `Protected Query Cancelling`.
    ProtectedQueryCancelling(ProtectedQuery) => "Protected Query Cancelling",
    /// `Protected Query Cancelled`.
    ProtectedQueryCancelled(ProtectedQuery) => "Protected Query Cancelled",
    /// `Protected Job Submitted`.
    ProtectedJobSubmitted(ProtectedJob) => "Protected Job Submitted",
    /// `Protected Job Started`.
    ProtectedJobStarted(ProtectedJob) => "Protected Job Started",
    /// `Protected Job Succeeded`.
    ProtectedJobSucceeded(ProtectedJob) => "Protected Job Succeeded",
    /// `Protected Job Failed`.
    ProtectedJobFailed(ProtectedJob) => "Protected Job Failed",
    /// `Protected Job Cancelling`.
    ProtectedJobCancelling(ProtectedJob) => "Protected Job Cancelling",
    /// `Protected Job Cancelled`.
    ProtectedJobCancelled(ProtectedJob) => "Protected Job Cancelled",
}

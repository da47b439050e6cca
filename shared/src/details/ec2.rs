//! EC2 Instance State-change Notification (`source` = `aws.ec2`).

use crate::TypedDetail;
use serde::{Deserialize, Serialize};

super::string_enum! {
    /// The state an EC2 instance moved to.
    ///
    /// ```
    /// use eventbridge_lambda::InstanceState;
    /// let state: InstanceState = serde_json::from_str(r#""shutting-down""#).unwrap();
    /// assert_eq!(state, InstanceState::ShuttingDown);
    /// let future: InstanceState = serde_json::from_str(r#""hibernating""#).unwrap();
    /// assert_eq!(future, InstanceState::Unknown("hibernating".into()));
    /// ```
    pub enum InstanceState {
        /// Launching or starting.
        Pending => "pending",
        /// Running.
        Running => "running",
        /// Being stopped.
        Stopping => "stopping",
        /// Stopped.
        Stopped => "stopped",
        /// Being terminated.
        ShuttingDown => "shutting-down",
        /// Terminated.
        Terminated => "terminated",
    }
}

impl InstanceState {
    /// True for `stopping`, `stopped`, `shutting-down` and `terminated`: the instance is going away.
    ///
    /// ```
    /// use eventbridge_lambda::InstanceState;
    /// assert!(InstanceState::Terminated.is_going_down());
    /// assert!(!InstanceState::Running.is_going_down());
    /// ```
    pub fn is_going_down(&self) -> bool {
        matches!(
            self,
            Self::Stopping | Self::Stopped | Self::ShuttingDown | Self::Terminated
        )
    }
}

/// The detail of an `EC2 Instance State-change Notification`.
///
/// ```
/// use eventbridge_lambda::{InstanceState, InstanceStateChange};
/// let detail: InstanceStateChange =
///     serde_json::from_str(r#"{"instance-id": "i-0123456789abcdef0", "state": "stopped"}"#).unwrap();
/// assert_eq!(detail.instance_id, "i-0123456789abcdef0");
/// assert_eq!(detail.state, InstanceState::Stopped);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TypedDetail)]
#[detail(
    source = "aws.ec2",
    detail_type = "EC2 Instance State-change Notification"
)]
#[serde(rename_all = "kebab-case")]
pub struct InstanceStateChange {
    /// The instance id (`i-…`).
    pub instance_id: String,
    /// The new state.
    pub state: InstanceState,
}

impl InstanceStateChange {
    /// A state change for `instance_id`.
    pub fn new(instance_id: impl Into<String>, state: InstanceState) -> Self {
        Self {
            instance_id: instance_id.into(),
            state,
        }
    }
}

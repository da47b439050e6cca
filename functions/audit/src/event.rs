//! [`AuditEvent`]: the events the audit function accepts.

use eventbridge_lambda::{CleanRoomsEvent, Detail, InstanceStateChange};
use serde_json::value::RawValue;
use std::borrow::Cow;

/// An AWS Clean Rooms event (any detail type) or an EC2 instance state change.
#[derive(Debug, Clone, PartialEq)]
pub enum AuditEvent {
    /// `source` = `aws.cleanrooms`, any `detail-type` (boxed: much larger than the EC2 detail).
    CleanRooms(Box<CleanRoomsEvent>),
    /// `source` = `aws.ec2`, `EC2 Instance State-change Notification`.
    Instance(InstanceStateChange),
}

impl Detail for AuditEvent {
    fn expected() -> Cow<'static, str> {
        Cow::Owned(format!(
            "an AWS Clean Rooms event ({}) or an EC2 state change ({})",
            CleanRoomsEvent::expected(),
            InstanceStateChange::expected()
        ))
    }

    fn accepts(source: &str, detail_type: &str) -> bool {
        CleanRoomsEvent::accepts(source, detail_type)
            || InstanceStateChange::accepts(source, detail_type)
    }

    fn decode(
        source: &str,
        detail_type: &str,
        detail: &RawValue,
    ) -> Result<Self, serde_json::Error> {
        if CleanRoomsEvent::accepts(source, detail_type) {
            CleanRoomsEvent::decode(source, detail_type, detail)
                .map(|event| Self::CleanRooms(Box::new(event)))
        } else {
            InstanceStateChange::decode(source, detail_type, detail).map(Self::Instance)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use eventbridge_lambda::decode::decode_event;

    #[test]
    fn accepts_clean_rooms_and_ec2_and_rejects_others() {
        assert!(AuditEvent::accepts(
            "aws.cleanrooms",
            "Protected Query Failed"
        ));
        assert!(AuditEvent::accepts("aws.cleanrooms", "Some Future Type"));
        assert!(AuditEvent::accepts(
            "aws.ec2",
            "EC2 Instance State-change Notification"
        ));
        assert!(!AuditEvent::accepts(
            "aws.ec2",
            "EC2 Spot Instance Interruption Warning"
        ));
        assert!(!AuditEvent::accepts("com.ecommerce.orders", "OrderCreated"));

        let order = std::fs::read(format!(
            "{}/../../events/order-created.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let error = decode_event::<AuditEvent>(&order).unwrap_err();
        assert!(error.to_string().contains("Clean Rooms"), "{error}");
    }
}

//! [`AuditEvent`]: the events the audit function accepts.

use eventbridge_lambda::{CleanRoomsEvent, Detail, InstanceStateChange};

/// An AWS Clean Rooms event (any detail type) or an EC2 instance state change; any other event
/// is rejected as `UnexpectedType`.
#[derive(Debug, Clone, PartialEq, Detail)]
pub enum AuditEvent {
    /// `source` = `aws.cleanrooms`, any `detail-type` (boxed: much larger than the EC2 detail).
    CleanRooms(Box<CleanRoomsEvent>),
    /// `source` = `aws.ec2`, `EC2 Instance State-change Notification`.
    Instance(InstanceStateChange),
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
        assert!(
            error.to_string().ends_with(
                r#"this handler accepts one of: source "aws.cleanrooms" (any detail-type); source "aws.ec2" with detail-type "EC2 Instance State-change Notification""#
            ),
            "{error}"
        );
    }
}

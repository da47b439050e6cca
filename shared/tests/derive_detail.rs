//! What `#[derive(TypedDetail)]` and `#[derive(Detail)]` generate, used as a dependent crate uses
//! them (through `::eventbridge_lambda` paths), and through the real decoder.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use eventbridge_lambda::decode::decode_event;
use eventbridge_lambda::{
    CleanRoomsEvent, DecodeError, Detail, Event, InstanceState, InstanceStateChange, OrderCreated,
    TypedDetail,
};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

#[derive(Debug, PartialEq, Deserialize, TypedDetail)]
#[detail(source = "com.ecommerce.payments", detail_type = "RefundIssued")]
struct RefundIssued {
    order_id: String,
}

/// A generic detail: the derive keeps the type's generics.
#[derive(Debug, PartialEq, Deserialize, TypedDetail)]
#[detail(source = "com.example.metrics", detail_type = "Sample")]
struct Sample<T> {
    value: T,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
struct Refund {
    order_id: String,
    #[serde(default)]
    amount: Option<u32>,
}

/// Typed variants only: anything else is `UnexpectedType`.
#[derive(Debug, PartialEq, Detail)]
enum ShopEvent {
    Order(Box<OrderCreated>),
    Refund(RefundIssued),
    Instance(InstanceStateChange),
}

/// A source of its own, fixed detail types sharing one struct, the raw parts of the rest.
#[derive(Debug, PartialEq, Detail)]
#[detail(source = "com.ecommerce.payments")]
enum PaymentEvent {
    #[detail(detail_type = "RefundIssued")]
    Issued(Refund),
    #[detail(detail_type = "RefundReversed")]
    Reversed(Refund),
    #[detail(source = "com.ecommerce.chargebacks", detail_type = "ChargebackOpened")]
    Chargeback(Refund),
    #[detail(other)]
    Other {
        source: String,
        detail_type: String,
        detail: Value,
    },
}

/// A catch-all without a source: every event is accepted, the unknown ones kept as JSON.
#[derive(Debug, PartialEq, Detail)]
enum Anything {
    Order(OrderCreated),
    #[detail(other)]
    Raw(Value),
}

/// The first variant that takes an event wins: `Value` takes every event, after `Instance`.
#[derive(Debug, PartialEq, Detail)]
enum InstanceFirst {
    Instance(InstanceStateChange),
    Everything(Value),
}

fn raw(json: &str) -> Box<RawValue> {
    RawValue::from_string(json.to_owned()).unwrap()
}

fn payload(source: &str, detail_type: &str, detail: &str) -> Vec<u8> {
    format!(
        r#"{{"version": "0", "id": "e-1", "source": {source:?}, "detail-type": {detail_type:?}, "account": "123456789012", "time": "2025-08-01T12:00:00Z", "region": "eu-west-1", "resources": [], "detail": {detail}}}"#
    )
    .into_bytes()
}

const ORDER: &str = r#"{"order_id": "o-1", "customer_email": "customer@example.com", "items": [{"sku": "ABC", "quantity": 2}], "timestamp": "2023-10-27T10:00:00Z"}"#;
const EC2_TYPE: &str = "EC2 Instance State-change Notification";

#[test]
fn typed_detail_derive_sets_both_constants() {
    assert_eq!(RefundIssued::SOURCE, "com.ecommerce.payments");
    assert_eq!(RefundIssued::DETAIL_TYPE, "RefundIssued");
    assert_eq!(
        RefundIssued::expected(),
        r#"source "com.ecommerce.payments" with detail-type "RefundIssued""#
    );
    assert_eq!(<Sample<u32>>::DETAIL_TYPE, "Sample");
    let event: Event<Sample<u32>> =
        decode_event(&payload("com.example.metrics", "Sample", r#"{"value": 7}"#)).unwrap();
    assert_eq!(event.detail, Sample { value: 7 });
    // The shipped types keep their constants.
    assert_eq!(OrderCreated::SOURCE, "com.ecommerce.orders");
    assert_eq!(OrderCreated::DETAIL_TYPE, "OrderCreated");
    assert_eq!(InstanceStateChange::SOURCE, "aws.ec2");
    assert_eq!(InstanceStateChange::DETAIL_TYPE, EC2_TYPE);
}

#[test]
fn typed_variants_route_by_source_and_detail_type() {
    assert!(ShopEvent::accepts("com.ecommerce.orders", "OrderCreated"));
    assert!(ShopEvent::accepts("com.ecommerce.payments", "RefundIssued"));
    assert!(ShopEvent::accepts("aws.ec2", EC2_TYPE));
    assert!(!ShopEvent::accepts(
        "com.ecommerce.payments",
        "OrderCreated"
    ));
    assert!(!ShopEvent::accepts(
        "aws.ec2",
        "EC2 Spot Instance Interruption Warning"
    ));

    let event: Event<ShopEvent> =
        decode_event(&payload("com.ecommerce.orders", "OrderCreated", ORDER)).unwrap();
    let ShopEvent::Order(order) = &event.detail else {
        panic!("{:?}", event.detail)
    };
    assert_eq!(order.order_id, "o-1");

    let detail = r#"{"instance-id": "i-1", "state": "stopped"}"#;
    let event: Event<ShopEvent> = decode_event(&payload("aws.ec2", EC2_TYPE, detail)).unwrap();
    assert_eq!(
        event.detail,
        ShopEvent::Instance(InstanceStateChange::new("i-1", InstanceState::Stopped))
    );

    let detail = r#"{"order_id": "o-2"}"#;
    let event: Event<ShopEvent> =
        decode_event(&payload("com.ecommerce.payments", "RefundIssued", detail)).unwrap();
    assert_eq!(
        event.detail,
        ShopEvent::Refund(RefundIssued {
            order_id: "o-2".into()
        })
    );
}

#[test]
fn without_a_catch_all_an_unmatched_event_is_unexpected_type() {
    let expected = r#"one of: source "com.ecommerce.orders" with detail-type "OrderCreated"; source "com.ecommerce.payments" with detail-type "RefundIssued"; source "aws.ec2" with detail-type "EC2 Instance State-change Notification""#;
    assert_eq!(ShopEvent::expected(), expected);
    let error = decode_event::<ShopEvent>(&payload("com.ecommerce.payments", "RefundFailed", "{}"))
        .unwrap_err();
    let DecodeError::UnexpectedType {
        event_source,
        detail_type,
        expected: reported,
        ..
    } = &error
    else {
        panic!("{error}")
    };
    assert_eq!(event_source, "com.ecommerce.payments");
    assert_eq!(detail_type, "RefundFailed");
    assert_eq!(reported, expected);
    // `decode` itself refuses an event the enum does not accept instead of guessing a variant.
    let error =
        ShopEvent::decode("com.ecommerce.payments", "RefundFailed", &raw("{}")).unwrap_err();
    assert!(
        error.to_string().starts_with(
            r#"source "com.ecommerce.payments" with detail-type "RefundFailed" is not an event this type accepts (one of: "#
        ),
        "{error}"
    );
}

#[test]
fn a_wrong_detail_in_a_variant_is_a_detail_error_with_its_path() {
    let detail = r#"{"instance-id": 5, "state": "stopped"}"#;
    let error = decode_event::<ShopEvent>(&payload("aws.ec2", EC2_TYPE, detail)).unwrap_err();
    assert!(matches!(error, DecodeError::Detail { .. }), "{error}");
    assert!(
        error.to_string().contains("instance-id: invalid type"),
        "{error}"
    );

    let detail = r#"{"order_id": "o-1", "amount": "ten"}"#;
    let error =
        decode_event::<PaymentEvent>(&payload("com.ecommerce.payments", "RefundReversed", detail))
            .unwrap_err();
    assert!(matches!(error, DecodeError::Detail { .. }), "{error}");
    assert!(
        error.to_string().contains("amount: invalid type"),
        "{error}"
    );
}

#[test]
fn fixed_detail_types_share_one_struct_and_the_catch_all_keeps_the_rest_of_its_source() {
    let refund = Refund {
        order_id: "o-1".into(),
        amount: Some(10),
    };
    let detail = r#"{"order_id": "o-1", "amount": 10}"#;
    let decode = |source: &str, detail_type: &str| {
        decode_event::<PaymentEvent>(&payload(source, detail_type, detail)).map(|e| e.detail)
    };
    assert_eq!(
        decode("com.ecommerce.payments", "RefundIssued").unwrap(),
        PaymentEvent::Issued(refund.clone())
    );
    assert!(matches!(
        decode("com.ecommerce.payments", "RefundReversed").unwrap(),
        PaymentEvent::Reversed(reversed) if reversed == refund
    ));
    assert!(matches!(
        decode("com.ecommerce.chargebacks", "ChargebackOpened").unwrap(),
        PaymentEvent::Chargeback(opened) if opened == refund
    ));
    assert_eq!(
        decode("com.ecommerce.payments", "PayoutSent").unwrap(),
        PaymentEvent::Other {
            source: "com.ecommerce.payments".into(),
            detail_type: "PayoutSent".into(),
            detail: serde_json::json!({"order_id": "o-1", "amount": 10}),
        }
    );
    // The catch-all keeps only the enum's source; the chargeback source only for its own type.
    assert!(PaymentEvent::accepts(
        "com.ecommerce.payments",
        "Anything New"
    ));
    assert!(PaymentEvent::accepts(
        "com.ecommerce.chargebacks",
        "ChargebackOpened"
    ));
    assert!(!PaymentEvent::accepts(
        "com.ecommerce.chargebacks",
        "ChargebackClosed"
    ));
    assert!(!PaymentEvent::accepts(
        "com.ecommerce.orders",
        "OrderCreated"
    ));
    assert!(matches!(
        decode("com.ecommerce.chargebacks", "ChargebackClosed"),
        Err(DecodeError::UnexpectedType { .. })
    ));
    assert_eq!(
        PaymentEvent::expected(),
        r#"one of: source "com.ecommerce.chargebacks" with detail-type "ChargebackOpened"; source "com.ecommerce.payments" (any detail-type)"#
    );
}

#[test]
fn a_catch_all_without_a_source_keeps_every_event() {
    assert!(Anything::accepts("any.source", "Any Type"));
    assert_eq!(Anything::expected(), "any event");
    let event: Event<Anything> =
        decode_event(&payload("com.ecommerce.orders", "OrderCreated", ORDER)).unwrap();
    assert!(matches!(event.detail, Anything::Order(_)));
    let event: Event<Anything> =
        decode_event(&payload("aws.ec2", EC2_TYPE, r#"{"instance-id": "i-1"}"#)).unwrap();
    assert_eq!(
        event.detail,
        Anything::Raw(serde_json::json!({"instance-id": "i-1"}))
    );
    // A detail that is not an object is rejected as for any other detail type.
    let error = decode_event::<Anything>(&payload("aws.ec2", EC2_TYPE, "[1]")).unwrap_err();
    assert!(
        !matches!(error, DecodeError::UnexpectedType { .. }),
        "{error}"
    );
}

#[test]
fn variants_are_tried_in_the_order_written() {
    let detail = r#"{"instance-id": "i-1", "state": "running"}"#;
    let event: Event<InstanceFirst> = decode_event(&payload("aws.ec2", EC2_TYPE, detail)).unwrap();
    assert!(matches!(event.detail, InstanceFirst::Instance(_)));
    let event: Event<InstanceFirst> =
        decode_event(&payload("com.ecommerce.orders", "OrderCreated", ORDER)).unwrap();
    assert!(matches!(event.detail, InstanceFirst::Everything(_)));
    assert_eq!(
        InstanceFirst::expected(),
        r#"one of: source "aws.ec2" with detail-type "EC2 Instance State-change Notification"; any event"#
    );
}

#[test]
fn detail_before_source_in_the_payload_decodes_the_same() {
    // The enum's decode is the two-step one; the payload's key order must not matter.
    let payload = br#"{"detail": {"order_id": "o-1"}, "detail-type": "RefundReversed", "id": "e-1", "source": "com.ecommerce.payments"}"#;
    let event: Event<PaymentEvent> = decode_event(payload).unwrap();
    assert!(
        matches!(event.detail, PaymentEvent::Reversed(Refund { ref order_id, amount: None }) if order_id == "o-1")
    );
}

#[test]
fn clean_rooms_event_keeps_its_routing() {
    assert_eq!(
        CleanRoomsEvent::expected(),
        r#"source "aws.cleanrooms" (any detail-type)"#
    );
    assert!(CleanRoomsEvent::accepts(
        "aws.cleanrooms",
        "Membership Updated"
    ));
    assert!(CleanRoomsEvent::accepts(
        "aws.cleanrooms",
        "Some Future Type"
    ));
    assert!(!CleanRoomsEvent::accepts("aws.ec2", "Membership Updated"));
    assert!(!CleanRoomsEvent::accepts(
        "aws.cleanroom",
        "Membership Updated"
    ));

    let detail = raw(r#"{"id": "x-1"}"#);
    for detail_type in CleanRoomsEvent::DETAIL_TYPES {
        let event = CleanRoomsEvent::decode("aws.cleanrooms", detail_type, &detail).unwrap();
        assert_eq!(event.detail_type(), *detail_type);
        assert!(
            !matches!(event, CleanRoomsEvent::Unknown { .. }),
            "{detail_type}"
        );
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            serde_json::json!({"id": "x-1"})
        );
    }
    let event =
        CleanRoomsEvent::decode("aws.cleanrooms", "Analysis Template Created", &detail).unwrap();
    assert_eq!(
        event,
        CleanRoomsEvent::Unknown {
            detail_type: "Analysis Template Created".into(),
            detail: serde_json::json!({"id": "x-1"}),
        }
    );
    let error = CleanRoomsEvent::decode(
        "aws.cleanrooms",
        "Protected Query Failed",
        &raw(r#"{"status": 3}"#),
    )
    .unwrap_err();
    assert!(
        error.to_string().starts_with("status: invalid type"),
        "{error}"
    );
}

//! Unit tests on the project's real `template.yaml`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::*;
use serde_json::json;
use std::collections::BTreeMap;

fn template() -> Template {
    Template::from_path(concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml")).unwrap()
}

fn order_created() -> serde_json::Value {
    json!({"source": ["com.ecommerce.orders"], "detail-type": ["OrderCreated"]})
}

#[test]
fn buses_are_the_default_one_and_orders() {
    let t = template();
    let ids: Vec<_> = t.buses().iter().map(|b| b.logical_id.as_str()).collect();
    assert_eq!(ids, ["default", "OrdersBus"]);
    assert_eq!(
        t.bus("OrdersBus").unwrap().name,
        Some(Expr::Sub("orders-${Stage}".into()))
    );
}

#[test]
fn every_rule_with_its_bus_and_pattern() {
    let t = template();
    let rules: Vec<_> = t
        .rules()
        .iter()
        .map(|r| (r.logical_id.as_str(), r.bus.logical_id(), r.state.clone()))
        .collect();
    assert_eq!(
        rules,
        [
            (
                "AuditFunctionAuditEvents",
                Some("default"),
                RuleState::Enabled
            ),
            (
                "EmailFunctionOrderCreated",
                Some("OrdersBus"),
                RuleState::Enabled
            ),
            (
                "InventoryFunctionOrderCreated",
                Some("OrdersBus"),
                RuleState::Enabled
            ),
            (
                "PartnerPublisherFunctionOrderCreated",
                Some("OrdersBus"),
                RuleState::Enabled
            ),
            (
                "ShippingOrderCreatedRule",
                Some("OrdersBus"),
                RuleState::Enabled
            ),
        ]
    );
    for id in [
        "EmailFunctionOrderCreated",
        "InventoryFunctionOrderCreated",
        "PartnerPublisherFunctionOrderCreated",
        "ShippingOrderCreatedRule",
    ] {
        assert_eq!(t.rule(id).unwrap().pattern, order_created(), "{id}");
    }
    assert_eq!(
        t.rule("AuditFunctionAuditEvents").unwrap().pattern,
        json!({"$or": [
            {"source": ["aws.cleanrooms"],
             "detail-type": ["Protected Query Failed", "Protected Query Timed Out", "Protected Job Failed"]},
            {"source": ["aws.cleanrooms"], "detail-type": ["Membership Updated"],
             "detail": {"status": ["COLLABORATION_DELETED", "REMOVED"]}},
            {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"],
             "detail": {"state": ["stopped", "shutting-down", "terminated"]}},
        ]})
    );
    assert_eq!(
        t.rule("EmailFunctionOrderCreated").unwrap().origin,
        RuleOrigin::FunctionEvent {
            function: "EmailFunction".into(),
            event: "OrderCreated".into()
        }
    );
}

#[test]
fn every_target_retries_and_has_a_dead_letter_queue() {
    let t = template();
    let expected = [
        (
            "AuditFunctionAuditEvents",
            Destination::Function("AuditFunction".into()),
            Delivery::Lambda,
        ),
        (
            "EmailFunctionOrderCreated",
            Destination::Function("EmailFunction".into()),
            Delivery::Lambda,
        ),
        (
            "InventoryFunctionOrderCreated",
            Destination::Function("InventoryFunction".into()),
            Delivery::Lambda,
        ),
        (
            "ShippingOrderCreatedRule",
            Destination::Queue("ShippingQueue".into()),
            Delivery::Sqs,
        ),
    ];
    for (rule, destination, delivery) in expected {
        let targets = &t.rule(rule).unwrap().targets;
        assert_eq!(targets.len(), 1, "{rule}");
        let target = &targets[0];
        assert_eq!(target.destination, destination, "{rule}");
        assert_eq!(target.delivery, delivery, "{rule}");
        assert_eq!(
            target.input,
            TargetInput::Event,
            "{rule}: typed handlers need the whole event"
        );
        assert_eq!(
            target.retry_policy,
            Some(RetryPolicy {
                maximum_retry_attempts: Some(185),
                maximum_event_age_in_seconds: Some(86400)
            }),
            "{rule}"
        );
        assert_eq!(
            target.dead_letter,
            Some(DeadLetter::Queue("EventDeliveryDLQ".into())),
            "{rule}"
        );
    }
    assert_eq!(
        t.rule("EmailFunctionOrderCreated").unwrap().targets[0].id,
        "EmailFunctionOrderCreatedLambdaTarget"
    );
}

/// Expected environment variables besides the `DEDUP_*` ones of `Globals`.
type Env<'a> = &'a [(&'a str, Expr)];

#[test]
fn functions_are_built_from_their_crates_with_their_environment() {
    let t = template();
    let expected: [(&str, &str, Env<'_>); 5] = [
        (
            "AuditFunction",
            "audit",
            &[("AUDIT_TABLE", Expr::Ref("AuditTable".into()))],
        ),
        (
            "EmailFunction",
            "email",
            &[("SENDER_ADDRESS", Expr::Ref("SenderAddress".into()))],
        ),
        (
            "InventoryFunction",
            "inventory",
            &[
                ("INVENTORY_TABLE", Expr::Ref("InventoryTable".into())),
                ("RESERVATIONS_TABLE", Expr::Ref("ReservationsTable".into())),
            ],
        ),
        (
            "PartnerPublisherFunction",
            "partner-publisher",
            &[(
                "PARTNER_SOURCES_TABLE",
                Expr::Ref("PartnerSourcesTable".into()),
            )],
        ),
        (
            "ShippingFunction",
            "shipping",
            &[("SHIPMENTS_TABLE", Expr::Ref("ShipmentsTable".into()))],
        ),
    ];
    let ids: Vec<_> = t
        .functions()
        .iter()
        .map(|f| f.logical_id.as_str())
        .collect();
    assert_eq!(ids, expected.map(|(id, _, _)| id));
    for (id, binary, env) in expected {
        let f = t.function(id).unwrap();
        assert_eq!(f.binary.as_deref(), Some(binary));
        assert_eq!(f.build_method.as_deref(), Some("rust-cargolambda"));
        assert_eq!(
            f.runtime.as_deref(),
            Some("provided.al2023"),
            "{id}: from Globals"
        );
        assert_eq!(f.handler.as_deref(), Some("bootstrap"));
        assert_eq!(f.architectures, ["arm64"]);
        let mut expected_env: BTreeMap<String, Expr> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        expected_env.insert("DEDUP_TABLE".into(), Expr::Ref("DedupTable".into()));
        expected_env.insert(
            "DEDUP_EXPIRY_SECONDS".into(),
            Expr::Literal("108000".into()),
        );
        expected_env.insert(
            "POWERTOOLS_METRICS_NAMESPACE".into(),
            Expr::Sub("ShopEvents-${Stage}".into()),
        );
        assert_eq!(f.environment, expected_env, "{id}");
    }
    for id in ["AuditFunction", "EmailFunction", "InventoryFunction"] {
        assert_eq!(
            t.function(id).unwrap().on_failure,
            Some(Destination::Queue("AsyncFailureQueue".into())),
            "{id}"
        );
    }
    assert_eq!(t.function("ShippingFunction").unwrap().on_failure, None);
}

#[test]
fn event_sources() {
    let t = template();
    let shipping = t.function("ShippingFunction").unwrap();
    assert_eq!(
        shipping.events,
        [FunctionEvent {
            name: "ShippingQueue".into(),
            source: EventSource::Sqs {
                queue: Some("ShippingQueue".into()),
                queue_arn: Expr::GetAtt {
                    resource: "ShippingQueue".into(),
                    attribute: "Arn".into()
                },
                batch_size: Some(10),
                report_batch_item_failures: true,
            },
        }]
    );
    assert_eq!(
        t.function("AuditFunction").unwrap().events[0].source,
        EventSource::EventBridgeRule {
            rule: "AuditFunctionAuditEvents".into()
        }
    );
}

#[test]
fn queues_and_their_redrive() {
    let t = template();
    let ids: Vec<_> = t.queues().iter().map(|q| q.logical_id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "AsyncFailureQueue",
            "EventDeliveryDLQ",
            "OrderStreamFailureQueue",
            "ShippingDeadLetterQueue",
            "ShippingQueue"
        ]
    );
    let shipping = t.queue("ShippingQueue").unwrap();
    assert_eq!(
        shipping.name,
        Some(Expr::Sub("shipping-notifications-queue-${Stage}".into()))
    );
    assert!(!shipping.fifo);
    assert_eq!(
        shipping.redrive,
        Some(Redrive {
            dead_letter_queue: Destination::Queue("ShippingDeadLetterQueue".into()),
            max_receive_count: Some(5)
        })
    );
    assert!(t.queue("EventDeliveryDLQ").unwrap().redrive.is_none());
}

#[test]
fn tables_and_keys() {
    let t = template();
    let keys: Vec<_> = t
        .tables()
        .iter()
        .map(|t| {
            (
                t.logical_id.as_str(),
                t.partition_key.name.as_str(),
                t.billing_mode.as_str(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            ("AuditTable", "id", "PAY_PER_REQUEST"),
            ("DedupTable", "id", "PAY_PER_REQUEST"),
            ("InventoryTable", "sku", "PAY_PER_REQUEST"),
            ("PartnerSourcesTable", "store_id", "PAY_PER_REQUEST"),
            ("ReservationsTable", "order_id", "PAY_PER_REQUEST"),
            ("ShipmentsTable", "order_id", "PAY_PER_REQUEST"),
        ]
    );
    let dedup = t.table("DedupTable").unwrap();
    assert_eq!(dedup.ttl_attribute.as_deref(), Some("expiration"));
    assert_eq!(dedup.partition_key.attribute_type, "S");
    assert!(t.tables().iter().all(|t| t.sort_key.is_none()));
}

#[test]
fn inputs_states_and_external_buses() {
    let t = Template::parse(
        r#"
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Off:
          Type: EventBridgeRule
          Properties:
            EventBusName: partner/bus
            Enabled: false
            Pattern: {source: [a]}
            InputTransformer:
              InputPathsMap: {id: $.detail.order_id}
              InputTemplate: '{"order": <id>}'
            DeadLetterConfig: {Type: SQS}
  Raw:
    Type: AWS::Events::Rule
    Properties:
      EventBusName: default
      State: DISABLED
      EventPattern: '{"source": ["b"]}'
      Targets:
        - {Id: fn, Arn: !GetAtt Fn.Arn, Input: '{"k": 1}'}
        - {Id: ext, Arn: 'arn:aws:sqs:us-east-1:123456789012:q', InputPath: $.detail}
"#,
    )
    .unwrap();
    let off = t.rule("FnOff").unwrap();
    assert_eq!(off.state, RuleState::Disabled);
    assert_eq!(
        off.bus,
        BusRef::External(Expr::Literal("partner/bus".into()))
    );
    assert_eq!(
        off.targets[0].input,
        TargetInput::Transformer {
            paths_map: [("id".to_owned(), "$.detail.order_id".to_owned())].into(),
            template: r#"{"order": <id>}"#.into()
        }
    );
    assert_eq!(
        off.targets[0].dead_letter,
        Some(DeadLetter::SamManaged {
            queue_logical_id: None
        })
    );
    let raw = t.rule("Raw").unwrap();
    assert_eq!(raw.bus, BusRef::Default);
    assert!(!raw.state.is_enabled());
    assert_eq!(raw.pattern, json!({"source": ["b"]}));
    assert_eq!(
        raw.targets[0].input,
        TargetInput::Constant(r#"{"k": 1}"#.into())
    );
    assert_eq!(raw.targets[0].delivery, Delivery::Lambda);
    assert_eq!(raw.targets[1].delivery, Delivery::Sqs);
    assert_eq!(raw.targets[1].input, TargetInput::Path("$.detail".into()));
}

#[test]
fn malformed_templates_are_typed_errors() {
    let two_inputs = "Resources:\n  R:\n    Type: AWS::Events::Rule\n    Properties:\n      EventPattern: {a: [1]}\n      Targets: [{Id: x, Arn: y, Input: '1', InputPath: $.a}]\n";
    assert!(matches!(
        Template::parse(two_inputs),
        Err(TemplateError::Invalid { .. })
    ));
    let no_arn = "Resources:\n  R:\n    Type: AWS::Events::Rule\n    Properties:\n      EventPattern: {a: [1]}\n      Targets: [{Id: x}]\n";
    let err = Template::parse(no_arn).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Resources.R.Properties.Targets[0]: Arn is missing"
    );
    let bad_pattern =
        "Resources:\n  R:\n    Type: AWS::Events::Rule\n    Properties:\n      EventPattern: [1]\n";
    assert!(matches!(
        Template::parse(bad_pattern),
        Err(TemplateError::Invalid { .. })
    ));
    assert!(matches!(
        Template::parse("a: 1"),
        Err(TemplateError::Invalid { .. })
    ));
    assert!(matches!(
        Template::from_path("/nonexistent/template.yaml"),
        Err(TemplateError::Io { .. })
    ));
}

#[test]
fn two_input_options_are_rejected_as_put_targets_rejects_them() {
    let error = Template::parse(
        r#"
Resources:
  Q:
    Type: AWS::SQS::Queue
  R:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {source: [aws.ec2]}
      Targets:
        - {Id: q1, Arn: !GetAtt Q.Arn, Input: "{}", InputPath: $.detail}
"#,
    )
    .unwrap_err();
    assert!(
        error.to_string().contains(
            "Only one of Input, InputPath, or InputTransformer must be provided for target q1."
        ),
        "{error}"
    );
}

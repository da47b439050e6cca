#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::{
    Destination, Expr, FilterScope, InvocationType, Ordering, StartingPosition, SubscriberState,
    Template, TemplateError, Transformer,
};

fn project() -> Template {
    Template::from_path(concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml")).unwrap()
}

/// A template with the bus `B`, the function `F`, the queue `Q` and one subscriber `S` whose
/// properties are `extra` (YAML indented under `Properties`).
fn with_subscriber(extra: &str) -> Result<Template, TemplateError> {
    let text = format!(
        r#"
Resources:
  B:
    Type: AWS::EventsV2::EventBus
    Properties: {{Name: stream}}
  F:
    Type: AWS::Serverless::Function
  Q:
    Type: AWS::SQS::Queue
  S:
    Type: AWS::EventsV2::Subscriber
    Properties:
      Name: s
      EventBusArn: !Ref B
      InvokeConfiguration:
        TargetArn: !GetAtt F.Arn
        RoleArn: arn:aws:iam::123456789012:role/r
{extra}"#
    );
    Template::parse(&text)
}

fn invalid_at(result: Result<Template, TemplateError>) -> (String, String) {
    match result {
        Err(TemplateError::Invalid { path, reason }) => (path, reason),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn the_project_template_has_the_order_stream_and_its_fifo_subscriber() {
    let t = project();
    let bus = t.custom_bus("OrderStreamBus").unwrap();
    assert_eq!(bus.name, Expr::Sub("order-stream-${Stage}".into()));
    assert_eq!(bus.retention_days, Some(7));
    let subscribers: Vec<_> = t.subscribers_on_bus("OrderStreamBus").collect();
    assert_eq!(subscribers.len(), 1);
    let s = subscribers[0];
    assert_eq!(s.logical_id, "OrderStreamInventorySubscriber");
    assert_eq!(s.ordering(), Ordering::Fifo);
    assert_eq!(s.transformer, Transformer::WithMetadata);
    assert_eq!(s.max_batch_size(), 10);
    assert_eq!((s.max_retry_attempts, s.max_event_age_seconds), (5, 3600));
    assert_eq!(
        s.on_failure,
        Some(Destination::Queue("OrderStreamFailureQueue".into()))
    );
    assert_eq!(s.target, Destination::Function("InventoryFunction".into()));
    assert_eq!(s.invocation_type, Some(InvocationType::RequestResponse));
    assert_eq!(s.starting_position, StartingPosition::Latest);
    assert_eq!(s.state, SubscriberState::Running);
    let data = s.filter(FilterScope::Data).unwrap();
    let pattern: serde_json::Value = serde_json::from_str(&data.pattern).unwrap();
    assert_eq!(pattern["detail-type"][0], "OrderCreated");
    assert!(s.filter(FilterScope::SystemMetadata).is_none());
}

#[test]
fn defaults_follow_the_documentation() {
    let t = with_subscriber("").unwrap();
    let s = &t.subscribers()[0];
    assert_eq!(s.bus.as_deref(), Some("B"));
    assert_eq!(s.ordering_type, None);
    assert_eq!(s.ordering(), Ordering::Unordered);
    assert_eq!(s.transformer, Transformer::Raw);
    assert_eq!(s.max_batch_size, None);
    assert_eq!(s.max_batch_size(), 10);
    assert_eq!(s.max_batch_window_seconds, 0);
    assert_eq!((s.max_retry_attempts, s.max_event_age_seconds), (5, 300));
    assert_eq!(s.on_failure, None);
    assert_eq!(s.starting_position, StartingPosition::Latest);
    assert_eq!(s.state, SubscriberState::Running);
    assert_eq!(s.invocation_type, None);
    assert!(s.filters.is_empty());
    assert_eq!(t.custom_bus("B").unwrap().retention_days, None);
    // Without an on-failure queue, a failed event is dropped: a finding.
    assert_eq!(
        t.findings(),
        [crate::Finding::SubscriberWithoutOnFailure {
            subscriber: "S".into()
        }]
    );
    assert!(
        t.check()
            .unwrap_err()
            .to_string()
            .contains("subscriber S has no OnFailureConfiguration")
    );
}

#[test]
fn every_modelled_setting_is_read() {
    let t = with_subscriber(
        r#"      Type: UNORDERED
      State: STOPPED
      FilterConfiguration:
        Filters:
          - {Scope: SYSTEM_METADATA, Pattern: '{"EventGroupId": [{"prefix": "vip-"}]}'}
          - {Scope: METADATA, Pattern: '{"tenant": ["acme"]}'}
      Transformer:
        Type: JSONATA
        JsonataConfiguration: {Expression: '{% $events %}'}
      BatchConfiguration: {MaxBatchSize: 1, MaxBatchWindowInSeconds: 30}
      RetryPolicy: {MaxRetryAttempts: 0, MaxEventAgeInSeconds: 60, RetryStrategy: ALL}
      OnFailureConfiguration: {Arn: !GetAtt Q.Arn}
      StartingPosition: POINT_IN_TIME
      PointInTimeConfiguration: {PointType: TIMESTAMP, StartingPoint: 1767225600, EndPoint: 1767312000}
"#,
    )
    .unwrap();
    let s = &t.subscribers()[0];
    assert_eq!(s.ordering(), Ordering::Unordered);
    assert_eq!(s.state, SubscriberState::Stopped);
    assert_eq!(s.filters.len(), 2);
    assert_eq!(s.filters[0].scope, FilterScope::SystemMetadata);
    assert_eq!(s.filters[1].scope, FilterScope::Metadata);
    assert_eq!(
        s.transformer,
        Transformer::Jsonata {
            expression: "{% $events %}".into()
        }
    );
    assert_eq!((s.max_batch_size(), s.max_batch_window_seconds), (1, 30));
    assert_eq!((s.max_retry_attempts, s.max_event_age_seconds), (0, 60));
    assert_eq!(s.on_failure, Some(Destination::Queue("Q".into())));
    assert!(t.findings().is_empty());
    assert_eq!(
        s.starting_position,
        StartingPosition::PointInTime {
            from: Some(1_767_225_600),
            until: Some(1_767_312_000)
        }
    );
    let horizon = with_subscriber(
        "      StartingPosition: POINT_IN_TIME\n      PointInTimeConfiguration: {PointType: HORIZON}\n",
    )
    .unwrap();
    assert_eq!(
        horizon.subscribers()[0].starting_position,
        StartingPosition::PointInTime {
            from: None,
            until: None
        }
    );
}

#[test]
fn invalid_values_are_errors_naming_the_property() {
    let cases = [
        ("      Type: ORDERED\n", "Resources.S.Properties.Type"),
        (
            "      FilterConfiguration:\n        Filters: [{Scope: HEADERS, Pattern: '{}'}]\n",
            "Resources.S.Properties.FilterConfiguration.Filters[0].Scope",
        ),
        (
            "      FilterConfiguration:\n        Language: JSONATA\n        Filters: [{Scope: DATA, Pattern: '{}'}]\n",
            "Resources.S.Properties.FilterConfiguration.Language",
        ),
        (
            "      FilterConfiguration:\n        Filters: [{Scope: DATA, Pattern: '{}'}, {Scope: DATA, Pattern: '{}'}]\n",
            "Resources.S.Properties.FilterConfiguration.Filters[1]",
        ),
        (
            "      FilterConfiguration:\n        Filters: []\n",
            "Resources.S.Properties.FilterConfiguration.Filters",
        ),
        (
            "      Transformer: {Type: XML}\n",
            "Resources.S.Properties.Transformer.Type",
        ),
        (
            "      Transformer: {Type: JSONATA}\n",
            "Resources.S.Properties.Transformer",
        ),
        (
            "      BatchConfiguration: {MaxBatchSize: 101}\n",
            "Resources.S.Properties.BatchConfiguration.MaxBatchSize",
        ),
        (
            "      BatchConfiguration: {MaxBatchWindowInSeconds: 301}\n",
            "Resources.S.Properties.BatchConfiguration.MaxBatchWindowInSeconds",
        ),
        (
            "      RetryPolicy: {MaxRetryAttempts: 186}\n",
            "Resources.S.Properties.RetryPolicy.MaxRetryAttempts",
        ),
        (
            "      RetryPolicy: {MaxEventAgeInSeconds: 59}\n",
            "Resources.S.Properties.RetryPolicy.MaxEventAgeInSeconds",
        ),
        (
            "      RetryPolicy: {MaximumRetryAttempts: 3}\n",
            "Resources.S.Properties.RetryPolicy.MaximumRetryAttempts",
        ),
        (
            "      StartingPosition: POINT_IN_TIME\n",
            "Resources.S.Properties",
        ),
        (
            "      StartingPosition: POINT_IN_TIME\n      PointInTimeConfiguration: {PointType: TIMESTAMP}\n",
            "Resources.S.Properties.PointInTimeConfiguration",
        ),
        (
            "      PointInTimeConfiguration: {PointType: HORIZON}\n",
            "Resources.S.Properties.PointInTimeConfiguration",
        ),
        ("      State: PAUSED\n", "Resources.S.Properties.State"),
        ("      Filter: {}\n", "Resources.S.Properties.Filter"),
    ];
    for (extra, expected) in cases {
        let (path, reason) = invalid_at(with_subscriber(extra));
        assert_eq!(path, expected, "{extra}: {reason}");
    }
    let (path, _) = invalid_at(Template::parse(
        "Resources:\n  B:\n    Type: AWS::EventsV2::EventBus\n    Properties:\n      Name: b\n      StorageConfiguration: {RetentionPeriodInDays: 366}\n",
    ));
    assert_eq!(
        path,
        "Resources.B.Properties.StorageConfiguration.RetentionPeriodInDays"
    );
    let (path, reason) = invalid_at(Template::parse(
        "Resources:\n  S:\n    Type: AWS::EventsV2::Subscriber\n    Properties: {Name: s, EventBusArn: x}\n",
    ));
    assert_eq!(path, "Resources.S.Properties");
    assert!(reason.contains("InvokeConfiguration"), "{reason}");
}

#[test]
fn a_lambda_invocation_type_must_be_known() {
    let text = r#"
Resources:
  F:
    Type: AWS::Serverless::Function
  S:
    Type: AWS::EventsV2::Subscriber
    Properties:
      Name: s
      EventBusArn: arn:aws:events:us-east-1:123456789012:event-busv2/b/abcdefghijklmnopqrstuvwxy
      InvokeConfiguration:
        TargetArn: !GetAtt F.Arn
        RoleArn: arn:aws:iam::123456789012:role/r
        LambdaParameters: {InvocationType: DRY_RUN}
"#;
    let (path, _) = invalid_at(Template::parse(text));
    assert_eq!(
        path,
        "Resources.S.Properties.InvokeConfiguration.LambdaParameters.InvocationType"
    );
    let ok = Template::parse(&text.replace("DRY_RUN", "EVENT")).unwrap();
    let s = &ok.subscribers()[0];
    // A literal bus ARN: outside the template.
    assert_eq!(s.bus, None);
    assert_eq!(s.invocation_type, Some(InvocationType::Event));
}

//! The handler against a real DynamoDB API (moto server on loopback) through the real SDK client.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use eventbridge_lambda::Detail;
use eventbridge_lambda::decode::decode_event;
use eventbridge_lambda_testing::{MotoServer, shared_moto};
use std::sync::atomic::{AtomicUsize, Ordering};

fn moto() -> &'static MotoServer {
    shared_moto()
}

/// A fresh audit table, laid out as `template.yaml` declares it (key `id`).
async fn audit_log() -> AuditLog {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let client = Client::new(&moto().sdk_config().await);
    let table = format!(
        "audit-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    eventbridge_lambda_testing::create_table(&client, &table, "id")
        .await
        .unwrap();
    AuditLog { client, table }
}

/// Every sample the audit function accepts: `events/cleanrooms-*.json` and `events/ec2-*.json`.
fn samples() -> Vec<(String, Vec<u8>)> {
    let dir = format!("{}/../../events", env!("CARGO_MANIFEST_DIR"));
    let mut samples: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_str().unwrap();
            (name.starts_with("cleanrooms-") || name.starts_with("ec2-")) && name.ends_with(".json")
        })
        .map(|path| {
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .filter(|(_, payload)| {
            let raw: serde_json::Value = serde_json::from_slice(payload).unwrap();
            AuditEvent::accepts(
                raw["source"].as_str().unwrap_or_default(),
                raw["detail-type"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    samples.sort();
    samples
}

async fn stored(log: &AuditLog) -> Vec<HashMap<String, AttributeValue>> {
    log.client
        .scan()
        .table_name(&log.table)
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default()
}

#[tokio::test]
async fn every_sample_event_gets_exactly_one_record() {
    let log = audit_log().await;
    let samples = samples();
    // At least one per modelled Clean Rooms detail type and one per EC2 state.
    assert!(samples.len() >= 18 + 6, "{}", samples.len());
    for (name, payload) in &samples {
        let event: Event<AuditEvent> = decode_event(payload).unwrap();
        let audited = audit(event.clone(), &log).await.unwrap();
        assert!(!audited.duplicate, "{name}");
        assert_eq!(Some(&audited.record.id), event.id.as_ref(), "{name}");
    }
    let items = stored(&log).await;
    assert_eq!(items.len(), samples.len());
    for (name, payload) in &samples {
        let raw: serde_json::Value = serde_json::from_slice(payload).unwrap();
        let item = items
            .iter()
            .find(|item| item["id"].as_s().unwrap() == raw["id"].as_str().unwrap())
            .unwrap_or_else(|| panic!("no record for {name}"));
        assert_eq!(
            item["source"].as_s().unwrap(),
            raw["source"].as_str().unwrap()
        );
        assert_eq!(
            item["detail_type"].as_s().unwrap(),
            raw["detail-type"].as_str().unwrap()
        );
        assert_eq!(
            item["account"].as_s().unwrap(),
            raw["account"].as_str().unwrap()
        );
        assert_eq!(
            item["region"].as_s().unwrap(),
            raw["region"].as_str().unwrap()
        );
        assert!(item["time"].as_s().is_ok(), "{name}");
        assert!(!item["summary"].as_s().unwrap().is_empty(), "{name}");
        if let Some(resource) = raw["detail"]["instance-id"]
            .as_str()
            .or_else(|| raw["detail"]["id"].as_str())
        {
            assert_eq!(item["resource"].as_s().unwrap(), resource, "{name}");
        }
        if let Some(status) = raw["detail"]["state"]
            .as_str()
            .or_else(|| raw["detail"]["status"].as_str())
        {
            assert_eq!(item["status"].as_s().unwrap(), status, "{name}");
        }
        assert!(
            ["low", "medium", "high"].contains(&item["severity"].as_s().unwrap().as_str()),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_redelivered_event_is_recorded_once() {
    let log = audit_log().await;
    let payload = std::fs::read(format!(
        "{}/../../events/ec2-terminated.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let event: Event<AuditEvent> = decode_event(&payload).unwrap();
    let first = audit(event.clone(), &log).await.unwrap();
    let again = audit(event, &log).await.unwrap();
    assert!(!first.duplicate);
    assert!(again.duplicate);
    assert_eq!(first.record, again.record);
    assert_eq!(stored(&log).await.len(), 1);
}

#[tokio::test]
async fn a_store_failure_is_an_error() {
    let mut log = audit_log().await;
    log.table = "no-such-table".into();
    let payload = std::fs::read(format!(
        "{}/../../events/ec2-stopped.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let error = audit(decode_event(&payload).unwrap(), &log)
        .await
        .unwrap_err();
    let message = eventbridge_lambda::ErrorChain(&error).to_string();
    assert!(
        message.starts_with("audit record 3c3ae353-fb14-428e-90b4-01a6c1cc0aff not written: "),
        "{message}"
    );
    assert!(message.contains("ResourceNotFoundException"), "{message}");
}

/// Template and code agree: every sample the template's rules route to this function
/// (events/routing/routing.json, which sam-template's routing test checks against the rules)
/// decodes as the handler's detail type, through the function's own pipeline.
#[tokio::test]
async fn every_sample_the_template_routes_here_decodes_as_the_handlers_type() {
    let dispatcher = audit_dispatcher(Box::leak(Box::new(audit_log().await)));
    let samples = eventbridge_lambda_testing::routed_samples("AuditFunction").unwrap();
    assert!(
        !samples.is_empty(),
        "routing.json sends nothing to AuditFunction"
    );
    for (name, payload) in samples {
        if let Err(error) = dispatcher.decode(&payload) {
            panic!("{name} is routed to AuditFunction but its handler rejects it: {error}");
        }
    }
}

//! The email bootstrap under the Lambda Runtime Interface Emulator: the real binary, the real
//! Runtime API protocol. A sample event is answered; a malformed event and a payload that is not
//! JSON give error bodies while the process stays alive (its in-memory dedup store survives
//! both). A handler panic is tested on a fixture whose own handler panics
//! (`shared/testing/fixtures/panicking-handler`), built in release.
//! The bootstrap sends through SES: a moto server stands in for it, and its record of sent
//! messages shows each confirmation was sent exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use eventbridge_lambda_testing::{MotoServer, Rie};
use std::path::Path;
use std::sync::OnceLock;

/// One moto server for this test binary (its watchdog stops it when the tests end).
fn moto() -> &'static MotoServer {
    static MOTO: OnceLock<MotoServer> = OnceLock::new();
    MOTO.get_or_init(|| MotoServer::start().expect("moto server (source scripts/env.sh)"))
}

/// Creates `sender` as an SES identity in moto (moto only sends from verified identities),
/// through the real SES v2 client.
fn verify_sender(sender: &str) {
    use aws_sdk_sesv2::config::{Credentials, Region};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let config = eventbridge_lambda::aws::config_loader()
            .endpoint_url(moto().endpoint())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
            .load()
            .await;
        aws_sdk_sesv2::Client::new(&config)
            .create_email_identity()
            .email_identity(sender)
            .send()
            .await
            .unwrap();
    });
}

/// The environment of a bootstrap that sends through moto's SES from `sender`.
fn ses_env(sender: &'static str) -> Vec<(&'static str, String)> {
    verify_sender(sender);
    vec![
        ("SENDER_ADDRESS", sender.to_owned()),
        ("AWS_ENDPOINT_URL", moto().endpoint()),
        ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
    ]
}

/// How many messages moto's SES sent from `sender` with `subject`.
fn sent(sender: &str, subject: &str) -> usize {
    moto()
        .sent_emails()
        .unwrap()
        .iter()
        .filter(|message| message["source"] == sender && message["subject"] == subject)
        .count()
}

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../events/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn bootstrap_answers_events_and_errors_and_stays_warm() {
    let order = sample("order-created.json");
    let order_json: serde_json::Value = serde_json::from_slice(&order).unwrap();
    let env = ses_env("orders@shop.example");
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let rie = Rie::start(Path::new(env!("CARGO_BIN_EXE_email")), &env).unwrap();
    let subject = "Your order 8d1f0c5e-3b0a-4d1e-9f57-2f1c3a7b9e10 is confirmed";

    // 1. A sample event is answered with the function's response.
    let answer = rie.invoke(&order).unwrap();
    assert_eq!(answer.status, 200, "{}", rie.logs());
    assert_eq!(
        answer.json(),
        serde_json::json!({
            "order_id": "8d1f0c5e-3b0a-4d1e-9f57-2f1c3a7b9e10",
            "recipient": "c***@example.com",
            "subject": "Your order 8d1f0c5e-3b0a-4d1e-9f57-2f1c3a7b9e10 is confirmed"
        }),
        "{}",
        rie.logs()
    );
    // ... and the e-mail was really sent through SES.
    assert_eq!(sent("orders@shop.example", subject), 1, "{}", rie.logs());

    // 2. A malformed event: a typed error body naming the problem and the event.
    let mut malformed = order_json.clone();
    malformed["id"] = "bad-1".into();
    malformed.as_object_mut().unwrap().remove("detail-type");
    let answer = rie
        .invoke(&serde_json::to_vec(&malformed).unwrap())
        .unwrap();
    assert!(answer.is_error(), "{}", answer.body);
    assert_eq!(answer.json()["errorType"], "EventDecodeError");
    assert_eq!(
        answer.json()["errorMessage"],
        "event bad-1: not an EventBridge event: missing field `detail-type` (a typed handler takes the whole event: does the rule's target replace it with Input, InputPath or InputTransformer?)"
    );

    // 3. A payload that is not JSON at all is rejected before the handler, with an error body.
    let answer = rie.invoke(b"{not json").unwrap();
    assert!(answer.is_error(), "{}", answer.body);

    // 4. The same process is still serving: the first event again is a duplicate, answered from
    //    the in-memory store that a restarted process would not have.
    let answer = rie.invoke(&order).unwrap();
    assert_eq!(
        answer.json()["recipient"],
        "c***@example.com",
        "{}",
        answer.body
    );
    let logs = rie.logs();
    assert!(logs.contains("duplicate delivery skipped"), "{logs}");
    assert!(
        !logs.contains("Runtime.ExitError"),
        "the process must not have exited:\n{logs}"
    );
    assert_eq!(
        logs.matches("INIT START").count(),
        1,
        "one cold start only:\n{logs}"
    );
    // The full address never reaches the logs.
    assert!(!logs.contains("customer@example.com"), "{logs}");
    // The duplicate did not send a second e-mail.
    assert_eq!(sent("orders@shop.example", subject), 1);
}

#[test]
fn json_logs_carry_request_and_event_fields_and_mask_the_address() {
    let mut env = ses_env("confirmations@shop.example");
    env.push(("AWS_LAMBDA_LOG_FORMAT", "JSON".to_owned()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let rie = Rie::start(Path::new(env!("CARGO_BIN_EXE_email")), &env).unwrap();
    let order = sample("order-created.json");
    let event_id = serde_json::from_slice::<serde_json::Value>(&order).unwrap()["id"].clone();
    let answer = rie.invoke(&order).unwrap();
    assert_eq!(answer.status, 200, "{}", rie.logs());
    assert_eq!(
        sent(
            "confirmations@shop.example",
            "Your order 8d1f0c5e-3b0a-4d1e-9f57-2f1c3a7b9e10 is confirmed"
        ),
        1
    );
    std::thread::sleep(std::time::Duration::from_millis(100));
    let logs = rie.logs();
    let line = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|line| line["message"] == "order confirmation composed")
        .unwrap_or_else(|| panic!("no JSON line from the handler in:\n{logs}"));
    // Flat JSON lines: the invocation's and the event's fields are top-level members.
    let field = |name: &str| line.get(name).cloned();
    assert!(
        field("requestId").is_some_and(|id| id.as_str().is_some_and(|id| !id.is_empty())),
        "{line}"
    );
    assert_eq!(field("event_id").unwrap(), event_id, "{line}");
    assert_eq!(field("source").unwrap(), "com.ecommerce.orders", "{line}");
    assert_eq!(field("detail_type").unwrap(), "OrderCreated", "{line}");
    assert_eq!(line["recipient"], "c***@example.com", "{line}");
    assert!(!logs.contains("customer@example.com"), "{logs}");
}

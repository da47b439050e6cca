//! The email bootstrap under the Lambda Runtime Interface Emulator: the real binary, the real
//! Runtime API protocol. A sample event is answered; a malformed event and a handler panic give
//! error bodies while the process stays alive (its in-memory dedup store survives both).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use eventbridge_lambda_testing::Rie;
use std::path::Path;

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../events/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn bootstrap_answers_events_errors_and_panics_and_stays_warm() {
    let order = sample("order-created.json");
    let order_json: serde_json::Value = serde_json::from_slice(&order).unwrap();
    // The panic is injected for one event id, inside the handler scope.
    let mut panicking = order_json.clone();
    panicking["id"] = "panic-me".into();
    let rie = Rie::start(
        Path::new(env!("CARGO_BIN_EXE_email")),
        &[
            ("SENDER_ADDRESS", "orders@shop.example"),
            ("EVENTBRIDGE_LAMBDA_INJECT_PANIC_FOR_ID", "panic-me"),
        ],
    )
    .unwrap();

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
        "event bad-1: not an EventBridge event: missing field `detail-type`"
    );

    // 3. A payload that is not JSON at all is rejected before the handler, with an error body.
    let answer = rie.invoke(b"{not json").unwrap();
    assert!(answer.is_error(), "{}", answer.body);

    // 4. A handler panic: an error body, not a crash.
    let answer = rie
        .invoke(&serde_json::to_vec(&panicking).unwrap())
        .unwrap();
    assert!(answer.is_error(), "{}", answer.body);
    assert_eq!(
        answer.json()["errorType"],
        "HandlerPanicked",
        "{}",
        answer.body
    );
    assert!(
        answer.json()["errorMessage"]
            .as_str()
            .unwrap()
            .contains("injected panic"),
        "{}",
        answer.body
    );

    // 5. The same process is still serving: the first event again is a duplicate, answered from
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
}

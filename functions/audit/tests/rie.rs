//! The audit bootstrap under the Lambda Runtime Interface Emulator, writing to DynamoDB on a moto
//! server: an EC2 termination is recorded and logged as a structured alert line; an event of
//! another type is rejected with a typed error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_dynamodb::types::AttributeValue;
use eventbridge_lambda_testing::{MotoServer, Rie};
use std::path::Path;

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../events/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn a_terminated_instance_is_recorded_and_alerted() {
    let moto = MotoServer::start().expect("moto server (source scripts/env.sh)");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = runtime.block_on(async {
        let client = aws_sdk_dynamodb::Client::new(&moto.sdk_config().await);
        eventbridge_lambda_testing::create_table(&client, "audit", "id")
            .await
            .unwrap();
        client
    });
    let endpoint = moto.endpoint();
    let rie = Rie::start(
        Path::new(env!("CARGO_BIN_EXE_audit")),
        &[
            ("AUDIT_TABLE", "audit"),
            ("AWS_ENDPOINT_URL", &endpoint),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ],
    )
    .unwrap();

    let answer = rie.invoke(&sample("ec2-terminated.json")).unwrap();
    assert_eq!(answer.status, 200, "{}", rie.logs());
    let response = answer.json();
    assert_eq!(response["severity"], "high", "{response}");
    assert_eq!(response["status"], "terminated", "{response}");
    let id = response["id"].as_str().unwrap().to_owned();

    // The record is in the table.
    let item = runtime
        .block_on(
            client
                .get_item()
                .table_name("audit")
                .key("id", AttributeValue::S(id.clone()))
                .send(),
        )
        .unwrap()
        .item
        .unwrap();
    assert_eq!(item["source"].as_s().unwrap(), "aws.ec2");
    assert_eq!(item["severity"].as_s().unwrap(), "high");
    assert_eq!(
        item["resource"],
        response["resource"]
            .as_str()
            .map(|r| AttributeValue::S(r.to_owned()))
            .unwrap()
    );

    // An event of another type is a typed error, not a panic.
    let answer = rie.invoke(&sample("order-created.json")).unwrap();
    assert!(answer.is_error(), "{}", answer.body);
    assert_eq!(
        answer.json()["errorType"],
        "EventDecodeError",
        "{}",
        answer.body
    );

    std::thread::sleep(std::time::Duration::from_millis(100));
    let logs = rie.logs();
    let alert = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|line| line["message"] == "audit alert")
        .unwrap_or_else(|| panic!("no alert line in:\n{logs}"));
    assert_eq!(alert["level"], "WARN", "{alert}");
    assert_eq!(alert["alert"], true, "{alert}");
    assert_eq!(alert["severity"], "high", "{alert}");
    assert_eq!(alert["status"], "terminated", "{alert}");
    assert!(
        alert["summary"]
            .as_str()
            .unwrap()
            .ends_with("is terminated"),
        "{alert}"
    );
}

//! What the end-to-end tests of `localbus` share: the repository root, the host bootstraps
//! (checked to be newer than their sources), and running the `localbus` binary.
// Each test file uses the helpers it needs.
#![allow(dead_code)]

pub mod serve;

use eventbridge_lambda_testing::{MotoServer, fresh_bootstrap, get_item};
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

/// The repository root, where `localbus` finds `template.yaml`.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Where the host-processor bootstraps of every function are (cargo's `target/debug`), once
/// each one is checked to be newer than its sources: a test of an old binary would pass or fail
/// for code that no longer exists.
pub fn functions_dir() -> PathBuf {
    static CHECKED: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    CHECKED
        .get_or_init(|| {
            let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("../debug");
            let functions = std::fs::read_dir(root().join("functions")).unwrap();
            let mut bootstraps: Vec<(String, String)> = functions
                .map(|function| function.unwrap().file_name().into_string().unwrap())
                .map(|name| (name.clone(), format!("functions/{name}")))
                .collect();
            // The examples serve's tests run: the partner chain's consumer, and the minimal
            // handler that replaces it on disk.
            bootstraps.push((
                "partner-consumer".into(),
                "examples/partner-consumer".into(),
            ));
            bootstraps.push(("example-minimal".into(), "examples/minimal".into()));
            for (binary, sources) in bootstraps {
                fresh_bootstrap(
                    &dir.join(&binary),
                    &[&sources],
                    "bash scripts/build-host-bootstraps.sh",
                )
                .unwrap_or_else(|error| panic!("{error}"));
            }
            dir
        })
        .clone()
}

/// Runs `localbus` from the repository root with `args`.
pub fn localbus(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_localbus"))
        .current_dir(root())
        .args(args)
        .output()
        .unwrap()
}

/// Runs `localbus` with `args` against the checked bootstraps (`--functions-dir`).
pub fn localbus_with_functions(args: &[&str]) -> Output {
    let functions = functions_dir();
    Command::new(env!("CARGO_BIN_EXE_localbus"))
        .current_dir(root())
        .args(args)
        .arg("--functions-dir")
        .arg(&functions)
        .output()
        .unwrap()
}

/// The JSON report on stdout, or a panic showing both streams.
pub fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// A single-threaded runtime for the tests' SDK calls.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A fresh (removed if left over) directory `{name}-{process id}` for one test.
pub fn fresh_dir(name: &str) -> PathBuf {
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Every message of `moto`'s queue `queue` (received once, left in place).
pub fn queue_messages(moto: &MotoServer, queue: &str) -> Vec<Value> {
    runtime().block_on(async {
        let sqs = aws_sdk_sqs::Client::new(&moto.sdk_config().await);
        let url = format!("{}/123456789012/{queue}", moto.endpoint());
        let output = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        output
            .messages
            .unwrap_or_default()
            .iter()
            .map(|m| serde_json::from_str(m.body.as_deref().unwrap()).unwrap())
            .collect()
    })
}

/// Asserts what `orders` orders of sku `LOAD` leave in `moto`: the inventory 100000 less `orders`,
/// and `orders` items in each of `tables`.
pub fn assert_load_orders_stored(moto: &MotoServer, orders: usize, tables: &[&str]) {
    runtime().block_on(async {
        let dynamodb = aws_sdk_dynamodb::Client::new(&moto.sdk_config().await);
        let stock = get_item(&dynamodb, "localbus-InventoryTable", "sku", "LOAD")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            *stock["available"].as_n().unwrap(),
            (100_000 - orders).to_string()
        );
        for table in tables {
            let count = dynamodb
                .scan()
                .table_name(*table)
                .select(aws_sdk_dynamodb::types::Select::Count)
                .send()
                .await
                .unwrap()
                .count;
            assert_eq!(usize::try_from(count).unwrap(), orders, "{table}");
        }
    });
}

//! A real AWS API endpoint on loopback: moto server.

use crate::{TestingError, workspace_root};
use std::fs::File;
use std::io::Read;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `moto_server` process on 127.0.0.1 (DynamoDB, SQS, SES, EventBridge, …), stopped when
/// dropped — and also when the test process dies, by a watchdog, so no server outlives its tests.
///
/// Point the real AWS SDK clients at [`MotoServer::endpoint`] with dummy credentials.
#[derive(Debug)]
pub struct MotoServer {
    child: Child,
    port: u16,
    log_path: PathBuf,
}

impl MotoServer {
    /// The Python that has moto installed: the one beside `moto_server`, which is
    /// `$MOTO_SERVER`, else `.venv/bin/moto_server` of the workspace.
    ///
    /// # Errors
    /// [`TestingError::MotoNotFound`] when that `moto_server` or its Python does not exist.
    pub fn locate() -> Result<PathBuf, TestingError> {
        let moto = std::env::var_os("MOTO_SERVER")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace_root().join(".venv/bin/moto_server"));
        let python = moto.with_file_name("python");
        if moto.is_file() && python.is_file() {
            Ok(python)
        } else {
            Err(TestingError::MotoNotFound(moto.display().to_string()))
        }
    }

    /// Starts a fresh server and waits until it answers. The server binds port 0 itself and
    /// reports the port the system gave it, so no other process can take the port in between.
    ///
    /// The server is moto's, with one difference: it answers one request at a time
    /// (`moto_server.py`), so that each request is atomic as in AWS. moto's own `moto_server`
    /// interleaves concurrent requests, and two racing conditional writes can both succeed.
    ///
    /// # Errors
    /// When moto is missing, cannot start, exits, or does not listen within 30 s.
    pub fn start() -> Result<Self, TestingError> {
        let python = Self::locate()?;
        static STARTED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let log_path = std::env::temp_dir().join(format!(
            "moto-{}-{}.log",
            std::process::id(),
            STARTED.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        ));
        let log = File::create(&log_path)?;
        // The watchdog loop ends moto when this test process is gone, even after a crash.
        let script = format!(
            "\"$0\" -c \"$1\" & moto=$!; trap 'kill $moto 2>/dev/null' EXIT TERM; \
             while kill -0 {parent} 2>/dev/null && kill -0 $moto 2>/dev/null; do sleep 1; done",
            parent = std::process::id()
        );
        let child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(&python)
            .arg(include_str!("moto_server.py"))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .map_err(|error| TestingError::Spawn {
                what: format!("{} (moto server)", python.display()),
                error,
            })?;
        let mut server = Self {
            child,
            port: 0,
            log_path,
        };
        server.port = server.wait_listening(Duration::from_secs(30))?;
        Ok(server)
    }

    /// Waits for the server's "moto listening on 127.0.0.1:PORT" line and a connection to that
    /// port; returns the port.
    fn wait_listening(&mut self, limit: Duration) -> Result<u16, TestingError> {
        const READY: &str = "moto listening on 127.0.0.1:";
        let started = Instant::now();
        while started.elapsed() < limit {
            let logs = self.logs();
            let port = logs.lines().find_map(|line| {
                line.strip_prefix(READY)
                    .and_then(|port| port.trim().parse::<u16>().ok())
            });
            if let Some(port) = port
                && TcpStream::connect(("127.0.0.1", port)).is_ok()
            {
                return Ok(port);
            }
            if let Some(status) = self.child.try_wait()? {
                return Err(TestingError::Exited {
                    what: "moto_server".into(),
                    status,
                    output: self.logs(),
                });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(TestingError::NotReady {
            what: "moto_server".into(),
            waited_for: "its \"moto listening on\" line and a connection to that port".into(),
            seconds: limit.as_secs(),
            output: self.logs(),
        })
    }

    /// One server for the whole test binary, started on first use (its watchdog stops it when
    /// the tests end).
    ///
    /// # Panics
    /// When moto cannot start: the tests that need it cannot run (run them via scripts/test.sh).
    pub fn shared() -> &'static MotoServer {
        static SHARED: std::sync::OnceLock<MotoServer> = std::sync::OnceLock::new();
        SHARED.get_or_init(|| {
            #[allow(clippy::panic)] // test support: a clear failure of the test that needs moto
            Self::start().unwrap_or_else(|error| panic!("{error}"))
        })
    }

    /// An SDK configuration for this server: its endpoint, region `us-east-1`, dummy credentials
    /// and a plain-HTTP client (moto is HTTP on loopback). Build any service client from it.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        sdk_config(&self.endpoint()).await
    }

    /// The endpoint URL, e.g. `http://127.0.0.1:50123`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The messages this server's SES recorded as sent (moto's `/moto-api/data.json`, each
    /// with `source`, `destinations`, `subject`, `body`).
    ///
    /// # Errors
    /// When the server cannot be reached or answers something that is not moto's data.
    pub fn sent_emails(&self) -> Result<Vec<serde_json::Value>, TestingError> {
        let text = ureq::get(format!("{}/moto-api/data.json", self.endpoint()))
            .call()
            .map_err(|error| TestingError::Http(error.to_string()))?
            .body_mut()
            .read_to_string()
            .map_err(|error| TestingError::Http(error.to_string()))?;
        let data: serde_json::Value =
            serde_json::from_str(&text).map_err(|error| TestingError::Http(error.to_string()))?;
        Ok(data["ses"]["Message"]
            .as_array()
            .cloned()
            .unwrap_or_default())
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// What the server printed so far (one line per request).
    pub fn logs(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = File::open(&self.log_path) {
            let _ = file.read_to_string(&mut text);
        }
        text
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        // SIGTERM lets the watchdog's trap stop moto too.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log_path);
    }
}

/// An SDK configuration for a local endpoint (moto, or a [`FaultServer`](crate::FaultServer)):
/// region `us-east-1`, dummy credentials, plain HTTP.
pub async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .load()
        .await
}

/// Creates a DynamoDB table with a string partition key `key`, billed per request (as
/// `template.yaml` declares every table).
///
/// # Errors
/// The SDK error when the table cannot be created.
pub async fn create_table(
    client: &aws_sdk_dynamodb::Client,
    name: &str,
    key: &str,
) -> Result<(), aws_sdk_dynamodb::Error> {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    let definition = AttributeDefinition::builder()
        .attribute_name(key)
        .attribute_type(ScalarAttributeType::S)
        .build()?;
    let schema = KeySchemaElement::builder()
        .attribute_name(key)
        .key_type(KeyType::Hash)
        .build()?;
    client
        .create_table()
        .table_name(name)
        .attribute_definitions(definition)
        .key_schema(schema)
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await?;
    Ok(())
}

/// The item of `table` whose string key `key` is `value`, read with strong consistency (what a
/// test asserts on right after the code under test wrote it).
///
/// # Errors
/// The SDK error when the table cannot be read.
pub async fn get_item(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    key: &str,
    value: &str,
) -> Result<
    Option<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>>,
    aws_sdk_dynamodb::Error,
> {
    let output = client
        .get_item()
        .table_name(table)
        .key(
            key,
            aws_sdk_dynamodb::types::AttributeValue::S(value.to_owned()),
        )
        .consistent_read(true)
        .send()
        .await?;
    Ok(output.item)
}

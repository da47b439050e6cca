//! A real AWS API endpoint on loopback: moto server.

use crate::{Discovery, MotoInstall, ProcessError, log_file};
use std::fs::File;
use std::io::Read;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `moto_server` process on 127.0.0.1 (DynamoDB, SQS, SES, EventBridge, …), stopped when
/// dropped — and also when the test process dies, by a watchdog, so no server outlives its tests.
///
/// Point the real AWS SDK clients at [`MotoServer::endpoint`] with dummy credentials
/// ([`MotoServer::sdk_config`]).
///
/// ```no_run
/// # async fn demo() -> Result<(), local_emulators::ProcessError> {
/// let moto = local_emulators::MotoServer::start()?;
/// let config = moto.sdk_config().await;
/// # let _ = config;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct MotoServer {
    child: Child,
    port: u16,
    log_path: PathBuf,
}

impl MotoServer {
    /// Starts a fresh server and waits until it answers. The server binds port 0 itself and
    /// reports the port the system gave it, so no other process can take the port in between.
    ///
    /// The server is moto's, with one difference: it answers one request at a time
    /// (`moto_server.py`), so that each request is atomic as in AWS. moto's own `moto_server`
    /// interleaves concurrent requests, and two racing conditional writes can both succeed.
    /// moto is found with [`Discovery::from_env`] and [`Discovery::moto`].
    ///
    /// ```no_run
    /// let moto = local_emulators::MotoServer::start()?;
    /// println!("AWS_ENDPOINT_URL={}", moto.endpoint());
    /// # Ok::<(), local_emulators::ProcessError>(())
    /// ```
    ///
    /// # Errors
    /// When moto is missing, cannot start, exits, or does not listen within 30 s.
    pub fn start() -> Result<Self, ProcessError> {
        Self::start_with(&Discovery::from_env()?.moto()?)
    }

    /// Starts a fresh server with the Python of `moto` (see [`MotoServer::start`]).
    ///
    /// ```no_run
    /// let moto = local_emulators::Discovery::from_env()?.moto()?;
    /// let server = local_emulators::MotoServer::start_with(&moto)?;
    /// println!("{}", server.endpoint());
    /// # Ok::<(), local_emulators::ProcessError>(())
    /// ```
    ///
    /// # Errors
    /// When moto cannot start, exits, or does not listen within 30 s.
    pub fn start_with(moto: &MotoInstall) -> Result<Self, ProcessError> {
        let python = &moto.python;
        let log_path = log_file("moto");
        let log = File::create(&log_path)?;
        // The watchdog loop ends moto when this process is gone, even after a crash.
        let script = format!(
            "\"$0\" -c \"$1\" & moto=$!; trap 'kill $moto 2>/dev/null' EXIT TERM; \
             while kill -0 {parent} 2>/dev/null && kill -0 $moto 2>/dev/null; do sleep 1; done",
            parent = std::process::id()
        );
        let child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(python)
            .arg(include_str!("moto_server.py"))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .map_err(|source| ProcessError::Spawn {
                what: format!("{} (moto server)", python.display()),
                source,
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
    fn wait_listening(&mut self, limit: Duration) -> Result<u16, ProcessError> {
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
                return Err(ProcessError::Exited {
                    what: "moto_server".into(),
                    status,
                    output: self.logs(),
                });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(ProcessError::NotReady {
            what: "moto_server".into(),
            waited_for: "its \"moto listening on\" line and a connection to that port".into(),
            seconds: limit.as_secs(),
            output: self.logs(),
        })
    }

    /// An SDK configuration for this server: its endpoint, region `us-east-1`, dummy credentials
    /// and a plain-HTTP client (moto is HTTP on loopback). Build any service client from it.
    ///
    /// ```no_run
    /// # async fn demo(moto: &local_emulators::MotoServer) {
    /// let config = moto.sdk_config().await;
    /// assert_eq!(config.endpoint_url(), Some(moto.endpoint().as_str()));
    /// # }
    /// ```
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        sdk_config(&self.endpoint()).await
    }

    /// The endpoint URL, e.g. `http://127.0.0.1:50123`.
    ///
    /// ```no_run
    /// let moto = local_emulators::MotoServer::start()?;
    /// assert_eq!(moto.endpoint(), format!("http://127.0.0.1:{}", moto.port()));
    /// # Ok::<(), local_emulators::ProcessError>(())
    /// ```
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The messages this server's SES recorded as sent (moto's `/moto-api/data.json`, each
    /// with `source`, `destinations`, `subject`, `body`).
    ///
    /// ```no_run
    /// let moto = local_emulators::MotoServer::start()?;
    /// assert!(moto.sent_emails()?.is_empty());
    /// # Ok::<(), local_emulators::ProcessError>(())
    /// ```
    ///
    /// # Errors
    /// When the server cannot be reached or answers something that is not moto's data.
    pub fn sent_emails(&self) -> Result<Vec<serde_json::Value>, ProcessError> {
        let url = format!("{}/moto-api/data.json", self.endpoint());
        let http = |source| ProcessError::Http {
            url: url.clone(),
            source,
        };
        let text = ureq::get(&url)
            .call()
            .map_err(http)?
            .body_mut()
            .read_to_string()
            .map_err(http)?;
        let data: serde_json::Value =
            serde_json::from_str(&text).map_err(|source| ProcessError::Answer {
                url: url.clone(),
                source,
            })?;
        Ok(data["ses"]["Message"]
            .as_array()
            .cloned()
            .unwrap_or_default())
    }

    /// The server's port.
    ///
    /// ```no_run
    /// let moto = local_emulators::MotoServer::start()?;
    /// assert_ne!(moto.port(), 0);
    /// # Ok::<(), local_emulators::ProcessError>(())
    /// ```
    pub fn port(&self) -> u16 {
        self.port
    }

    /// What the server printed so far (one line per request).
    ///
    /// ```no_run
    /// let moto = local_emulators::MotoServer::start()?;
    /// assert!(moto.logs().contains("moto listening on"));
    /// # Ok::<(), local_emulators::ProcessError>(())
    /// ```
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

/// An SDK configuration for a local endpoint (moto, or any local server that speaks an AWS
/// protocol): region `us-east-1`, dummy credentials, plain HTTP.
///
/// ```
/// # fn main() -> Result<(), std::io::Error> {
/// # let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
/// # runtime.block_on(async {
/// let config = local_emulators::sdk_config("http://127.0.0.1:4566").await;
/// assert_eq!(config.endpoint_url(), Some("http://127.0.0.1:4566"));
/// assert_eq!(config.region().map(|region| region.as_ref()), Some("us-east-1"));
/// # });
/// # Ok(())
/// # }
/// ```
pub async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .load()
        .await
}

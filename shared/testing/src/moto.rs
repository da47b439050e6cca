//! A real AWS API endpoint on loopback: moto server.

use crate::{TestingError, free_port, workspace_root};
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
    /// Where `moto_server` is: `$MOTO_SERVER`, else `.venv/bin/moto_server` of the workspace.
    ///
    /// # Errors
    /// [`TestingError::MotoNotFound`] when neither exists.
    pub fn locate() -> Result<PathBuf, TestingError> {
        let path = std::env::var_os("MOTO_SERVER")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace_root().join(".venv/bin/moto_server"));
        if path.is_file() {
            Ok(path)
        } else {
            Err(TestingError::MotoNotFound(path.display().to_string()))
        }
    }

    /// Starts a fresh server on a free port and waits until it answers.
    ///
    /// # Errors
    /// When moto is missing, cannot start, or does not listen within 30 s.
    pub fn start() -> Result<Self, TestingError> {
        let moto = Self::locate()?;
        let port = free_port()?;
        let log_path = std::env::temp_dir().join(format!("moto-{}-{port}.log", std::process::id()));
        let log = File::create(&log_path)?;
        // The watchdog loop ends moto when this test process is gone, even after a crash.
        let script = format!(
            "\"$0\" -H 127.0.0.1 -p {port} & moto=$!; trap 'kill $moto 2>/dev/null' EXIT TERM; \
             while kill -0 {parent} 2>/dev/null && kill -0 $moto 2>/dev/null; do sleep 1; done",
            parent = std::process::id()
        );
        let child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(&moto)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .map_err(|error| TestingError::Spawn {
                what: moto.display().to_string(),
                error,
            })?;
        let server = Self {
            child,
            port,
            log_path,
        };
        server.wait_listening(Duration::from_secs(30))?;
        Ok(server)
    }

    fn wait_listening(&self, limit: Duration) -> Result<(), TestingError> {
        let started = Instant::now();
        while started.elapsed() < limit {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(TestingError::NotReady {
            what: "moto_server".into(),
            port: self.port,
            seconds: limit.as_secs(),
            output: self.logs(),
        })
    }

    /// The endpoint URL, e.g. `http://127.0.0.1:50123`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
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

//! `localbus serve` run by a test: started from the repository root with `--output json`, its
//! JSON lines collected, its producers (tests/producers) run against its endpoint, stopped with
//! SIGTERM when dropped.

use super::root;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running `localbus serve` and the JSON lines it printed.
pub struct Serve {
    /// The serve process.
    pub child: Child,
    /// Every JSON line serve printed, banner first.
    pub lines: Arc<Mutex<Vec<Value>>>,
    /// serve's EventBridge endpoint.
    pub endpoint: String,
    /// The AWS endpoint serve uses (its own moto, or the one given).
    pub aws_endpoint: String,
    /// The file serve's stderr goes to.
    pub stderr: PathBuf,
}

impl Serve {
    /// Starts serve from the repository root with `args` and waits for its first line.
    pub fn start(functions: &Path, args: &[&str]) -> Serve {
        static STARTED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let stderr = std::env::temp_dir().join(format!(
            "serve-test-{}-{}.err",
            std::process::id(),
            STARTED.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        ));
        let mut child = Command::new(env!("CARGO_BIN_EXE_localbus"))
            .current_dir(root())
            .args([
                "serve",
                "--port",
                "0",
                "--output",
                "json",
                "--functions-dir",
            ])
            .arg(functions)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().unwrap();
        let sink = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let value = serde_json::from_str(&line).unwrap_or_else(|e| {
                    panic!("serve printed a line that is not JSON ({e}): {line}")
                });
                sink.lock().unwrap().push(value);
            }
        });
        let mut serve = Serve {
            child,
            lines,
            endpoint: String::new(),
            aws_endpoint: String::new(),
            stderr,
        };
        let banner = serve.wait_lines(1, Duration::from_secs(60)).remove(0);
        serve.endpoint = banner["EventBridgeEndpoint"].as_str().unwrap().to_owned();
        serve.aws_endpoint = banner["Endpoint"].as_str().unwrap().to_owned();
        assert!(serve.endpoint.starts_with("http://127.0.0.1:"), "{banner}");
        serve
    }

    /// Waits until serve printed `count` lines (banner included); all its lines.
    pub fn wait_lines(&mut self, count: usize, limit: Duration) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let lines = self.lines.lock().unwrap().clone();
            if lines.len() >= count {
                return lines;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("serve exited ({status}): {}", self.stderr());
            }
            assert!(
                started.elapsed() < limit,
                "serve printed {} of {count} lines in {limit:?}: {lines:#?}\nstderr: {}",
                lines.len(),
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The delivery lines, once there are `count`; then a moment more, to see that no other
    /// delivery follows.
    pub fn deliveries(&mut self, count: usize, limit: Duration) -> Vec<Value> {
        self.wait_lines(count + 1, limit);
        std::thread::sleep(Duration::from_millis(500));
        let lines = self.lines.lock().unwrap().clone();
        assert_eq!(
            lines.len(),
            count + 1,
            "more deliveries than expected: {lines:#?}"
        );
        lines.into_iter().skip(1).collect()
    }

    /// Runs a producer script of tests/producers with serve's endpoint; its JSON answer.
    pub fn python(&self, script: &str, args: &[&str]) -> Value {
        let output = Command::new(root().join(".venv/bin/python"))
            .current_dir(root())
            .arg(format!("shared/localbus/tests/producers/{script}"))
            .arg(&self.endpoint)
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{script}: {}\n{}\nserve: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            self.stderr()
        );
        serde_json::from_slice(&output.stdout).unwrap()
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// SIGTERM, then the exit status.
    pub fn stop(&mut self) -> ExitStatus {
        Command::new("kill")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "serve did not stop: {}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.stop();
        }
        let _ = std::fs::remove_file(&self.stderr);
    }
}

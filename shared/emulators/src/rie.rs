//! Running a bootstrap under the Lambda Runtime Interface Emulator.

use crate::process_tree::{stop_tree, watchdog};
use crate::{Discovery, ProcessError, free_port, log_file};
use std::fs::File;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One answer of the emulator's Invoke API.
///
/// ```no_run
/// let rie = local_emulators::Rie::start(std::path::Path::new("target/debug/email"), &[])?;
/// let answer: local_emulators::Invocation = rie.invoke(b"{}")?;
/// if answer.is_error() {
///     eprintln!("{}", answer.json()["errorMessage"]);
/// }
/// # Ok::<(), local_emulators::ProcessError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Invocation {
    /// HTTP status (function errors also come back as 200, with an error body).
    pub status: u16,
    /// The response body: the function's response, or `{"errorType":…,"errorMessage":…}`.
    pub body: String,
    /// The `X-Amz-Function-Error` header (`Unhandled` when the function failed), if sent.
    pub function_error: Option<String>,
}

impl Invocation {
    /// The body as JSON (`Value::Null` when it is not JSON).
    ///
    /// ```
    /// let answer = local_emulators::Invocation {
    ///     status: 200,
    ///     body: r#"{"sent":true}"#.into(),
    ///     function_error: None,
    /// };
    /// assert_eq!(answer.json()["sent"], true);
    /// ```
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// True when the function failed: the `X-Amz-Function-Error` header, or a body that is a
    /// Lambda error object.
    ///
    /// ```
    /// let answer = local_emulators::Invocation {
    ///     status: 200,
    ///     body: r#"{"errorType":"Oops","errorMessage":"no table"}"#.into(),
    ///     function_error: Some("Unhandled".into()),
    /// };
    /// assert!(answer.is_error());
    /// ```
    pub fn is_error(&self) -> bool {
        self.function_error.is_some()
            || (self.body.contains("\"errorType\"") && self.body.contains("\"errorMessage\""))
    }
}

/// A function binary running under the emulator. [`Rie::stop`] (and dropping) ends the
/// emulator and every process below it, the bootstrap included (which the emulator starts in a
/// process group of its own), so no bootstrap outlives its emulator. The emulator leads a
/// process group of its own, which the terminal's Ctrl-C does not reach: when this process ends
/// without stopping it (killed, or interrupted), a watchdog in that group stops it within a
/// second.
///
/// ```no_run
/// let rie = local_emulators::Rie::start(std::path::Path::new("target/debug/audit"), &[("TABLE_NAME", "audit")])?;
/// let answer = rie.invoke(br#"{"source":"s","detail-type":"t","detail":{}}"#)?;
/// print!("{}", rie.logs());
/// # let _ = answer;
/// # Ok::<(), local_emulators::ProcessError>(())
/// ```
#[derive(Debug)]
pub struct Rie {
    child: Child,
    port: u16,
    log_path: PathBuf,
    /// Stops the emulator's processes if this process dies without stopping them.
    watchdog: Option<Child>,
    stopped: bool,
}

impl Rie {
    /// Starts `bootstrap` under the emulator with extra environment variables, and waits until
    /// the emulator listens. The bootstrap itself starts on the first invocation, as on Lambda.
    ///
    /// The emulator needs two ports named on its command line (its Invoke API, and the Runtime
    /// API it tells the bootstrap about), so it cannot be given port 0. It is ready only when
    /// both ports are held by the emulator's own sockets (a server of another process that took
    /// a port in the meantime is never mistaken for it); when it lost a port to another process,
    /// it is started again on new ports. The emulator is found with [`Discovery::from_env`] and
    /// [`Discovery::rie`].
    ///
    /// ```no_run
    /// let rie = local_emulators::Rie::start(std::path::Path::new("target/debug/email"), &[("SENDER_ADDRESS", "orders@shop.example")])?;
    /// println!("invoke on http://127.0.0.1:{}", rie.port());
    /// # Ok::<(), local_emulators::ProcessError>(())
    /// ```
    ///
    /// # Errors
    /// When the emulator is missing, cannot start, exits, keeps losing its ports, or does not
    /// listen within 20 s.
    pub fn start(bootstrap: &Path, env: &[(&str, &str)]) -> Result<Self, ProcessError> {
        Self::start_with(&Discovery::from_env()?.rie()?, bootstrap, env)
    }

    /// Starts `bootstrap` under the emulator binary `rie` (see [`Rie::start`]).
    ///
    /// ```no_run
    /// let emulator = local_emulators::Discovery::from_env()?.rie()?;
    /// let rie = local_emulators::Rie::start_with(&emulator, std::path::Path::new("target/debug/email"), &[])?;
    /// # let _ = rie;
    /// # Ok::<(), local_emulators::ProcessError>(())
    /// ```
    ///
    /// # Errors
    /// When the emulator cannot start, exits, keeps losing its ports, or does not listen within
    /// 20 s.
    pub fn start_with(
        rie: &Path,
        bootstrap: &Path,
        env: &[(&str, &str)],
    ) -> Result<Self, ProcessError> {
        const ATTEMPTS: u32 = 5;
        let what = format!("{} {}", rie.display(), bootstrap.display());
        let mut last_output = String::new();
        for _ in 0..ATTEMPTS {
            let port = free_port()?;
            let runtime_api_port = free_port()?;
            let log_path = log_file("rie");
            let log = File::create(&log_path)?;
            let mut command = Command::new(rie);
            command
                .arg("--runtime-interface-emulator-address")
                .arg(format!("127.0.0.1:{port}"))
                .arg("--runtime-api-address")
                .arg(format!("127.0.0.1:{runtime_api_port}"))
                .arg(bootstrap)
                .env("AWS_LAMBDA_FUNCTION_NAME", "function")
                .envs(env.iter().copied())
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log)
                // A group of its own: stopped with the bootstrap's, never with ours.
                .process_group(0);
            let child = command.spawn().map_err(|source| ProcessError::Spawn {
                what: what.clone(),
                source,
            })?;
            let mut rie = Self {
                child,
                port,
                log_path,
                watchdog: None,
                stopped: false,
            };
            rie.watchdog =
                Some(
                    watchdog(rie.child.id()).map_err(|source| ProcessError::Spawn {
                        what: format!("the watchdog of {what}"),
                        source,
                    })?,
                );
            match rie.wait_listening(runtime_api_port, Duration::from_secs(20)) {
                Ok(()) => return Ok(rie),
                Err(ProcessError::Exited { output, .. })
                    if output.contains("address already in use") =>
                {
                    last_output = output;
                }
                Err(error) => return Err(error),
            }
        }
        Err(ProcessError::PortsTaken {
            what,
            attempts: ATTEMPTS,
            output: last_output,
        })
    }

    /// Waits until the emulator's own process listens on its port and on `runtime_api_port`.
    fn wait_listening(
        &mut self,
        runtime_api_port: u16,
        limit: Duration,
    ) -> Result<(), ProcessError> {
        let started = Instant::now();
        let pid = self.child.id();
        while started.elapsed() < limit {
            if let Some(status) = self.child.try_wait()? {
                return Err(ProcessError::Exited {
                    what: "the Lambda Runtime Interface Emulator".into(),
                    status,
                    output: self.logs(),
                });
            }
            if listens(pid, self.port)? && listens(pid, runtime_api_port)? {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(ProcessError::NotReady {
            what: "the Lambda Runtime Interface Emulator".into(),
            waited_for: format!("127.0.0.1:{} and 127.0.0.1:{runtime_api_port}", self.port),
            seconds: limit.as_secs(),
            output: self.logs(),
        })
    }

    /// Invokes the function with `payload` (synchronously, like `sam local invoke`).
    ///
    /// ```no_run
    /// let rie = local_emulators::Rie::start(std::path::Path::new("target/debug/email"), &[])?;
    /// let answer = rie.invoke(br#"{"source":"s","detail-type":"t","detail":{}}"#)?;
    /// assert_eq!(answer.status, 200);
    /// # Ok::<(), local_emulators::ProcessError>(())
    /// ```
    ///
    /// # Errors
    /// When the HTTP call fails.
    pub fn invoke(&self, payload: &[u8]) -> Result<Invocation, ProcessError> {
        let url = format!(
            "http://127.0.0.1:{}/2015-03-31/functions/function/invocations",
            self.port
        );
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let mut response = agent
            .post(&url)
            .header("content-type", "application/json")
            .send(payload)
            .map_err(|source| ProcessError::Http {
                url: url.clone(),
                source,
            })?;
        let status = response.status().as_u16();
        let function_error = response
            .headers()
            .get("x-amz-function-error")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let body = response
            .body_mut()
            .read_to_string()
            .map_err(|source| ProcessError::Http { url, source })?;
        Ok(Invocation {
            status,
            body,
            function_error,
        })
    }

    /// Everything the emulator and the function printed so far.
    ///
    /// ```no_run
    /// let rie = local_emulators::Rie::start(std::path::Path::new("target/debug/email"), &[])?;
    /// rie.invoke(b"{}")?;
    /// assert!(rie.logs().contains("REPORT RequestId"));
    /// # Ok::<(), local_emulators::ProcessError>(())
    /// ```
    pub fn logs(&self) -> String {
        self.logs_since(0)
    }

    /// How many bytes of output there are so far: pass it to [`Rie::logs_since`] after an
    /// invocation to get what that invocation printed.
    ///
    /// ```no_run
    /// let rie = local_emulators::Rie::start(std::path::Path::new("target/debug/email"), &[])?;
    /// let before = rie.log_len();
    /// rie.invoke(b"{}")?;
    /// println!("{}", rie.logs_since(before));
    /// # Ok::<(), local_emulators::ProcessError>(())
    /// ```
    pub fn log_len(&self) -> u64 {
        std::fs::metadata(&self.log_path).map_or(0, |m| m.len())
    }

    /// What the emulator and the function printed after byte `offset` of the output (see
    /// [`Rie::log_len`]).
    ///
    /// ```no_run
    /// let rie = local_emulators::Rie::start(std::path::Path::new("target/debug/email"), &[])?;
    /// assert_eq!(rie.logs_since(rie.log_len()), "");
    /// # Ok::<(), local_emulators::ProcessError>(())
    /// ```
    pub fn logs_since(&self, offset: u64) -> String {
        use std::io::{Seek, SeekFrom};
        let mut bytes = Vec::new();
        if let Ok(mut file) = File::open(&self.log_path)
            && file.seek(SeekFrom::Start(offset)).is_ok()
        {
            let _ = file.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The emulator's port: its Invoke API is
    /// `http://127.0.0.1:<port>/2015-03-31/functions/function/invocations`.
    ///
    /// ```no_run
    /// let rie = local_emulators::Rie::start(std::path::Path::new("target/debug/email"), &[])?;
    /// assert_ne!(rie.port(), 0);
    /// # Ok::<(), local_emulators::ProcessError>(())
    /// ```
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The emulator's process id: the root of the processes of this function (see
    /// [`process_tree`](crate::process_tree)), and the id of the process group it leads.
    ///
    /// ```no_run
    /// let rie = local_emulators::Rie::start(std::path::Path::new("target/debug/email"), &[])?;
    /// let running = local_emulators::process_tree(rie.pid())?;
    /// assert_eq!(running.first(), Some(&rie.pid()));
    /// # Ok::<(), local_emulators::ProcessError>(())
    /// ```
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the emulator and every process below it (the process groups they are in):
    /// `SIGTERM`, then `SIGKILL` for what still runs after a short grace period. Does nothing the second time;
    /// dropping the `Rie` stops it too.
    ///
    /// ```no_run
    /// let mut rie = local_emulators::Rie::start(std::path::Path::new("target/debug/email"), &[])?;
    /// rie.invoke(b"{}")?;
    /// rie.stop();
    /// assert!(rie.invoke(b"{}").is_err());
    /// # Ok::<(), local_emulators::ProcessError>(())
    /// ```
    pub fn stop(&mut self) {
        if !self.stopped {
            self.stopped = true;
            stop_tree(&mut self.child);
            // Ended with the emulator's group; collect its status.
            if let Some(mut watchdog) = self.watchdog.take() {
                let _ = watchdog.kill();
                let _ = watchdog.wait();
            }
        }
    }
}

/// Whether process `pid` holds the socket that listens on 127.0.0.1:`port`: the listening
/// socket's inode in the kernel's TCP table (`/proc/net/tcp`) is one of the process's open files
/// (`/proc/<pid>/fd`). Linux only, as the emulator is.
fn listens(pid: u32, port: u16) -> Result<bool, ProcessError> {
    const LISTEN: &str = "0A";
    // Address and port in the table's hexadecimal, host byte order for the address.
    let local = format!(
        "{:08X}:{port:04X}",
        u32::from_ne_bytes(std::net::Ipv4Addr::LOCALHOST.octets())
    );
    let table = std::fs::read_to_string("/proc/net/tcp")?;
    let inodes: Vec<String> = table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            match fields.as_slice() {
                [_, address, _, state, _, _, _, _, _, inode, ..]
                    if *address == local && *state == LISTEN =>
                {
                    Some(format!("socket:[{inode}]"))
                }
                _ => None,
            }
        })
        .collect();
    if inodes.is_empty() {
        return Ok(false);
    }
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return Ok(false);
    };
    Ok(fds.flatten().any(|fd| {
        std::fs::read_link(fd.path()).is_ok_and(|target| {
            inodes
                .iter()
                .any(|inode| target.as_os_str() == inode.as_str())
        })
    }))
}

impl Drop for Rie {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_file(&self.log_path);
    }
}

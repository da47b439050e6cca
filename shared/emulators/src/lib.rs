//! The local processes that stand in for AWS on a developer's machine, for `localbus` and the
//! tests (function binaries never link this crate):
//!
//! - [`MotoServer`]: a real AWS API endpoint (moto) on loopback, for the real SDK clients;
//! - [`Rie`]: a function's bootstrap under the **Lambda Runtime Interface Emulator** (the emulator
//!   `sam local invoke` runs inside its container; it ships in the `aws-sam-cli` wheel and runs
//!   directly on the host), driven through the real Lambda Runtime API protocol.
//!
//! Both programs are found at run time, never at compile time, so `localbus` works in any
//! project ([`Discovery`]): an environment variable (`MOTO_SERVER`, `LAMBDA_RIE`), the project's
//! `.venv` (in the current directory or an ancestor), or `PATH`. When one is missing, the error
//! says where it looked and how to install it.
//!
//! ```no_run
//! use local_emulators::Rie;
//! let rie = Rie::start(std::path::Path::new("target/debug/email"), &[("SENDER_ADDRESS", "orders@shop.example")])?;
//! let answer = rie.invoke(br#"{"source":"s","detail-type":"t","detail":{}}"#)?;
//! println!("{} {}", answer.status, answer.body);
//! # Ok::<(), local_emulators::ProcessError>(())
//! ```
#![forbid(unsafe_code)]

mod discovery;
mod moto;
mod process_tree;
mod rie;

pub use discovery::{Discovery, MotoInstall};
pub use moto::{MotoServer, sdk_config};
pub use process_tree::process_tree;
pub use rie::{Invocation, Rie};

use std::path::PathBuf;

/// How to install both programs into the project's virtual environment, for the errors.
const INSTALL: &str = "python3 -m venv .venv && .venv/bin/pip install \"moto[server]\" aws-sam-cli";

/// Why a local process could not be found, started or reached.
///
/// ```
/// use local_emulators::{Discovery, ProcessError};
/// let nowhere = Discovery { current_dir: "/no/such/project".into(), ..Discovery::default() };
/// match nowhere.rie() {
///     Err(ProcessError::RieNotFound { looked }) => assert!(!looked.is_empty()),
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// moto server was found nowhere.
    #[error(
        "moto server not found; looked at: {}. Install it in the project with `{INSTALL}`, or set MOTO_SERVER to a moto_server script",
        looked.join(", ")
    )]
    MotoNotFound {
        /// Every place that was looked at, in order, with what was missing there.
        looked: Vec<String>,
    },
    /// The Lambda Runtime Interface Emulator was found nowhere.
    #[error(
        "Lambda Runtime Interface Emulator not found; looked at: {}. Install aws-sam-cli (it ships the emulator) in the project with `{INSTALL}`, put aws-lambda-rie on PATH, or set LAMBDA_RIE to the emulator binary",
        looked.join(", ")
    )]
    RieNotFound {
        /// Every place that was looked at, in order, with what was missing there.
        looked: Vec<String>,
    },
    /// A process could not be started.
    #[error("could not start {what}: {source}")]
    Spawn {
        /// What was being started.
        what: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A server did not start listening in time.
    #[error("{what} did not listen ({waited_for}) within {seconds} s; its output:\n{output}")]
    NotReady {
        /// What was being started.
        what: String,
        /// What was waited for, e.g. the ports it was given.
        waited_for: String,
        /// How long we waited.
        seconds: u64,
        /// What the process printed.
        output: String,
    },
    /// A server kept losing its port to other processes (each attempt's port was taken between
    /// choosing it and binding it).
    #[error("{what} could not bind a free port in {attempts} attempts; its last output:\n{output}")]
    PortsTaken {
        /// What was being started.
        what: String,
        /// How many ports were tried.
        attempts: u32,
        /// What the process printed on the last attempt.
        output: String,
    },
    /// A server exited before it listened.
    #[error("{what} exited before listening ({status}); its output:\n{output}")]
    Exited {
        /// What was being started.
        what: String,
        /// Its exit status.
        status: std::process::ExitStatus,
        /// What the process printed.
        output: String,
    },
    /// An I/O error (free port, log file, `/proc`).
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// An HTTP call to a local server failed.
    #[error("HTTP call to {url} failed: {source}")]
    Http {
        /// The URL called.
        url: String,
        /// Why.
        #[source]
        source: ureq::Error,
    },
    /// A local server answered something that is not what it should answer.
    #[error("{url} answered something that is not its JSON: {source}")]
    Answer {
        /// The URL called.
        url: String,
        /// Why it is not.
        #[source]
        source: serde_json::Error,
    },
}

/// A TCP port on 127.0.0.1 that was free a moment ago (bound, then released): an address where
/// nothing listens, for a test of a refused connection. Another process may take it at any time,
/// so the servers of this crate never start on it blindly: [`MotoServer`] binds port 0 itself,
/// and [`Rie`] checks that the emulator holds the ports it was given (and retries when it lost
/// one).
///
/// ```
/// let port = local_emulators::free_port()?;
/// assert_ne!(port, 0);
/// # Ok::<(), local_emulators::ProcessError>(())
/// ```
///
/// # Errors
/// When no socket can be bound.
pub fn free_port() -> Result<u16, ProcessError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// A file in the temporary directory, unique to this process and call, for a server's output.
fn log_file(what: &str) -> PathBuf {
    static CREATED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    std::env::temp_dir().join(format!(
        "{what}-{}-{}.log",
        std::process::id(),
        CREATED.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ))
}

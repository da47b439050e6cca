//! Local emulation for functions built with `eventbridge-lambda`, used by the tests and by the
//! `localbus` tool (function binaries never link it).
//!
//! [`MotoServer`] starts a real AWS API endpoint (moto) on loopback for the real SDK clients.
//!
//! [`FaultServer`] is a local HTTP server answering with injected faults (throttling, HTTP 500,
//! slow responses) for the failure paths moto cannot produce.
//!
//! [`Rie`] runs a function binary under the **Lambda Runtime Interface Emulator** (the same
//! emulator `sam local invoke` runs inside its container; it ships in the `aws-sam-cli` wheel and
//! runs directly on the host), so a test drives the real bootstrap through the real Lambda Runtime
//! API protocol: the RIE serves `/2018-06-01/runtime/invocation/next` to the binary and the Invoke
//! API to the test.
//!
//! ```no_run
//! use eventbridge_lambda_testing::Rie;
//! let rie = Rie::start(std::path::Path::new("target/debug/email"), &[("SENDER_ADDRESS", "orders@shop.example")])?;
//! let answer = rie.invoke(br#"{"source":"s","detail-type":"t","detail":{}}"#)?;
//! println!("{} {}", answer.status, answer.body);
//! # Ok::<(), eventbridge_lambda_testing::TestingError>(())
//! ```
#![forbid(unsafe_code)]

mod bootstrap;
pub mod fault;
mod json_lines;
mod moto;
mod rie;
mod routing;

pub use bootstrap::fresh_bootstrap;
pub use fault::FaultServer;
pub use json_lines::JsonLines;
pub use moto::{MotoServer, create_table, get_item, sdk_config};
pub use rie::{Invocation, Rie};
pub use routing::routed_samples;

use std::path::PathBuf;

/// Why a test harness could not do its job.
#[derive(Debug, thiserror::Error)]
pub enum TestingError {
    /// The emulator binary was not found.
    #[error(
        "Lambda Runtime Interface Emulator not found ({0}); run the tests through scripts/test.sh, which installs aws-sam-cli into .venv and sets LAMBDA_RIE"
    )]
    RieNotFound(String),
    /// moto server was not found.
    #[error(
        "moto_server not found at {0}; run the tests through scripts/test.sh, which installs moto[server] into .venv"
    )]
    MotoNotFound(String),
    /// A process could not be started.
    #[error("could not start {what}: {error}")]
    Spawn {
        /// What was being started.
        what: String,
        /// The OS error.
        #[source]
        error: std::io::Error,
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
    /// A bootstrap a test needs was not built.
    #[error("no bootstrap at {}: build it with `{build}`", bootstrap.display())]
    NotBuilt {
        /// Where it should be.
        bootstrap: PathBuf,
        /// The command that builds it.
        build: String,
    },
    /// A bootstrap is older than one of its sources: a test would run code that no longer exists.
    #[error(
        "{} is older than its source {}: rebuild it with `{build}`",
        bootstrap.display(),
        source_file.display()
    )]
    StaleBootstrap {
        /// The bootstrap.
        bootstrap: PathBuf,
        /// The newest source, changed after the build.
        source_file: PathBuf,
        /// The command that builds it.
        build: String,
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
    /// An I/O error (free port, log file).
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The HTTP call to the emulator failed.
    #[error("HTTP call failed: {0}")]
    Http(String),
}

/// A TCP port on 127.0.0.1 that was free a moment ago (bound, then released): an address where
/// nothing listens, for a test of a refused connection. Another process may take it at any time,
/// so the servers of this crate never start on it blindly: [`MotoServer`] binds port 0 itself,
/// and [`Rie`] checks that the emulator holds the ports it was given (and retries when it lost
/// one).
///
/// # Errors
/// When no socket can be bound.
pub fn free_port() -> Result<u16, TestingError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// The workspace root (parent of `shared/`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

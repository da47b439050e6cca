//! Test support for functions built with `eventbridge-lambda` (function binaries never link it).
//!
//! The local processes themselves ([`MotoServer`], [`Rie`]) are the `local-emulators` crate's,
//! re-exported here; this crate adds what only tests want: one moto server per test binary
//! ([`shared_moto`]), DynamoDB helpers ([`create_table`], [`get_item`]), a fault-injecting HTTP
//! server ([`FaultServer`]) for the failure paths moto cannot produce, bootstraps checked to be
//! newer than their sources ([`fresh_bootstrap`]), the sample events a function receives
//! ([`routed_samples`]) and JSON log capture ([`JsonLines`]).
//!
//! ```no_run
//! use eventbridge_lambda_testing::Rie;
//! let rie = Rie::start(std::path::Path::new("target/debug/email"), &[("SENDER_ADDRESS", "orders@shop.example")])?;
//! let answer = rie.invoke(br#"{"source":"s","detail-type":"t","detail":{}}"#)?;
//! println!("{} {}", answer.status, answer.body);
//! # Ok::<(), eventbridge_lambda_testing::ProcessError>(())
//! ```
#![forbid(unsafe_code)]

mod bootstrap;
pub mod fault;
mod json_lines;
mod moto;
mod routing;

pub use bootstrap::fresh_bootstrap;
pub use fault::FaultServer;
pub use json_lines::JsonLines;
pub use local_emulators::{
    Invocation, MotoServer, ProcessError, Rie, free_port, process_tree, sdk_config,
};
pub use moto::{create_table, get_item, shared_moto};
pub use routing::routed_samples;

use std::path::PathBuf;

/// Why a test harness could not do its job.
#[derive(Debug, thiserror::Error)]
pub enum TestingError {
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
    /// An I/O error (a port, a source file, a sample event).
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// The workspace root (parent of `shared/`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

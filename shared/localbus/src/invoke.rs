//! `localbus invoke`: one synchronous invocation of one function with a given payload, under
//! the Lambda Runtime Interface Emulator against the local AWS endpoint — what `sam local
//! invoke` does inside its container, without Docker.

use crate::session::{DeployArgs, Session};
use std::process::ExitCode;
use std::sync::Arc;

/// Arguments of `invoke`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The function's logical id in the template, e.g. EmailFunction.
    function: String,
    /// The payload: JSON text or file://PATH (an event, an SQS batch, ...).
    #[arg(long, value_name = "JSON|file://PATH")]
    event: String,
    #[command(flatten)]
    deploy: DeployArgs,
}

/// Runs `invoke`: prints the logs (standard error) and the response (standard output); exit 0
/// when the function succeeded, 1 when it returned an error, 2 when it could not be invoked.
pub(crate) fn run(args: &Args) -> ExitCode {
    match crate::block_on::block_on(invoke(args)).and_then(|result| result) {
        Ok(invocation) => {
            for line in &invocation.logs {
                eprintln!("{line}");
            }
            crate::output::line(&invocation.body);
            if invocation.failed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(message) => fail(message),
    }
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("localbus invoke: {message}");
    ExitCode::from(2)
}

async fn invoke(args: &Args) -> Result<crate::emulator::Invocation, String> {
    let payload = crate::input::load(&args.event)?;
    serde_json::from_str::<serde_json::Value>(&payload)
        .map_err(|e| format!("the payload is not JSON: {e}"))?;
    let session = Session::start(&args.deploy).await?;
    eprintln!("localbus: {}", session.describe());
    let process = session
        .emulator
        .process(&session.template, &session.stack, &args.function)
        .map_err(|e| e.to_string())?;
    let process = Arc::clone(&process);
    tokio::task::spawn_blocking(move || process.invoke(payload.as_bytes()))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}

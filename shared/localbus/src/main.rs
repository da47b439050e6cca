//! `localbus`: a local EventBridge for developing and testing rules.
//!
//! `main` only parses the command line and dispatches; each subcommand lives in its own
//! module.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod block_on;
mod deliver;
mod emulator;
mod findings;
mod input;
mod invoke;
mod output;
mod provision;
mod publish;
mod route;
mod send;
mod serve;
mod session;
mod stack;
mod test_event_pattern;
mod transform;
mod v2;

/// A local EventBridge.
#[derive(Debug, Parser)]
#[command(name = "localbus", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Test an event pattern against an event, like `aws events test-event-pattern`.
    TestEventPattern(test_event_pattern::Args),
    /// Publish OrderCreated events to a bus, like `aws events put-events` (typed, batched,
    /// retried).
    Publish(publish::Args),
    /// List every bus, rule, pattern and target of the SAM template; warn (on stderr) about
    /// settings under which AWS loses events silently, such as an SQS event source without
    /// `FunctionResponseTypes: [ReportBatchItemFailures]`.
    Routes(route::RoutesArgs),
    /// Show which targets an event reaches and the exact payload each receives.
    Route(route::RouteArgs),
    /// Put events on a bus and deliver them to the real function binaries, with EventBridge's,
    /// Lambda's and SQS's delivery rules, against a local AWS endpoint. Every put gets a new
    /// event id, as PutEvents gives it (--keep-ids replays the file's own).
    Send(send::Args),
    /// Invoke one function once with a payload, like `sam local invoke` (no Docker).
    Invoke(invoke::Args),
    /// Serve a local EventBridge endpoint (AWS JSON 1.1) that any SDK, the AWS CLI and the
    /// functions themselves publish to; events are delivered in the background with send's
    /// rules, one line per delivery. Runs until Ctrl-C or SIGTERM.
    Serve(serve::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::TestEventPattern(args) => test_event_pattern::run(&args),
        Command::Publish(args) => publish::run(&args),
        Command::Routes(args) => route::run_routes(&args),
        Command::Route(args) => route::run_route(&args),
        Command::Send(args) => send::run(&args),
        Command::Invoke(args) => invoke::run(&args),
        Command::Serve(args) => serve::run(&args),
    }
}

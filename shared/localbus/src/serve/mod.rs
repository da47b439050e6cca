//! `localbus serve`: a local EventBridge endpoint. Any SDK, the AWS CLI and the template's own
//! functions publish to it (`AWS_ENDPOINT_URL_EVENTBRIDGE`); it routes every event through the
//! template's rules, with the project's pattern matcher, and delivers it to the real function
//! binaries under the Lambda Runtime Interface Emulator, against the moto server it started (or
//! the endpoint given with `--endpoint-url`, provisioned as `send` does).
//!
//! Modules, in the order a request meets them: [`http`] (the listener, which sends a request by
//! its path to one of the two APIs), [`protocol`] (AWS JSON 1.1), [`api`] (the Classic
//! operations), [`registry`] (buses, partner sources, rules), [`deliveries`] (the background
//! deliveries and their report lines); [`custom_bus`] is the Custom Event Bus API
//! (`eventbridgev2`, Smithy RPC v2 CBOR) with its own store and deliveries.

mod api;
mod custom_bus;
mod deliveries;
mod http;
mod protocol;
mod registry;

pub(crate) use deliveries::Output;

use crate::session::{DeployArgs, Session};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long serve waits for deliveries under way when it is stopped.
const DRAIN_ON_STOP: Duration = Duration::from_secs(10);

/// Arguments of `serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The port on 127.0.0.1 (0: one the system chooses; the banner names it).
    #[arg(long, default_value_t = 4010)]
    port: u16,
    /// How each delivery is reported on stdout.
    #[arg(long, value_enum, default_value_t = Output::Table)]
    output: Output,
    /// Where a Custom Event Bus keeps its events between runs (retention, replays and
    /// de-duplication): `<DIR>/<bus name>/events.jsonl`, as for `send`.
    #[arg(long, value_name = "DIR", default_value = ".localbus")]
    state_dir: std::path::PathBuf,
    #[command(flatten)]
    deploy: DeployArgs,
}

/// Runs `serve` until Ctrl-C or SIGTERM: exit 0 after a clean stop, 2 when it cannot start.
pub(crate) fn run(args: &Args) -> ExitCode {
    match crate::block_on::block_on(serve(args)).and_then(|result| result) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("localbus serve: {message}");
            ExitCode::from(2)
        }
    }
}

async fn serve(args: &Args) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
        .await
        .map_err(|error| format!("cannot listen on 127.0.0.1:{}: {error}", args.port))?;
    let port = listener
        .local_addr()
        .map_err(|error| error.to_string())?
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    // The functions publish back to this endpoint, on either API.
    let session = Session::start_with(
        &args.deploy,
        vec![
            ("AWS_ENDPOINT_URL_EVENTBRIDGE".to_owned(), endpoint.clone()),
            // The Custom Event Bus's SDKs (service id EventBridgeV2) publish back to serve too.
            (
                "AWS_ENDPOINT_URL_EVENTBRIDGEV2".to_owned(),
                endpoint.clone(),
            ),
        ],
    )
    .await?;
    crate::findings::warn(&session.template);
    let deliveries = deliveries::Deliveries::new(
        Arc::clone(&session.template),
        Arc::clone(&session.stack),
        aws_sdk_sqs::Client::new(&session.config),
        Arc::clone(&session.emulator),
        args.output,
    );
    let custom_buses = custom_bus::CustomBusApi::start(
        crate::deliver::Context {
            template: Arc::clone(&session.template),
            stack: Arc::clone(&session.stack),
            sqs: aws_sdk_sqs::Client::new(&session.config),
            started: std::time::Instant::now(),
        },
        deliveries.clone(),
        &args.state_dir,
    )?;
    let api = api::Api {
        template: Arc::clone(&session.template),
        stack: Arc::clone(&session.stack),
        registry: Arc::new(Mutex::new(registry::Registry::new(
            &session.template,
            &session.stack,
        ))),
        deliveries: deliveries.clone(),
        custom_buses,
    };
    let banner = format!("localbus: EventBridge endpoint {endpoint}");
    let services = format!(
        "localbus: AWS services at {} ({}); {}",
        session.endpoint,
        match (&args.deploy.endpoint_url, args.deploy.aws) {
            (_, true) => "your AWS account",
            (Some(_), _) => "the endpoint given with --endpoint-url",
            (None, _) => "a moto server started by localbus, stopped with it",
        },
        session.describe()
    );
    match args.output {
        Output::Table => {
            crate::output::line(&banner);
            crate::output::line(&services);
            crate::output::line(format_args!(
                "localbus: publish with AWS_ENDPOINT_URL_EVENTBRIDGE={endpoint}; Ctrl-C stops"
            ));
        }
        Output::Json => {
            eprintln!("{banner}\n{services}");
            crate::output::line(serde_json::json!({
                "EventBridgeEndpoint": endpoint,
                "Endpoint": session.endpoint,
                "Stack": session.stack.name(),
            }));
        }
    }
    http::serve(listener, api, stop_signal()).await;
    let pending = deliveries.pending();
    if pending > 0 {
        eprintln!(
            "localbus serve: stopping; waiting up to {} s for {pending} deliveries under way",
            DRAIN_ON_STOP.as_secs()
        );
        if tokio::time::timeout(DRAIN_ON_STOP, deliveries.idle())
            .await
            .is_err()
        {
            eprintln!(
                "localbus serve: {} deliveries did not finish and are abandoned (no report line above names them as done)",
                deliveries.pending()
            );
        }
    }
    session.emulator.stop_all();
    eprintln!("localbus serve: stopped");
    Ok(())
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM.
async fn stop_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                eprintln!("localbus serve: SIGTERM cannot be caught ({error}); stop with Ctrl-C");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

//! Structured logs with `tracing`.
//!
//! [`init`] installs one global subscriber, once per execution environment (cold start):
//!
//! * level from `AWS_LAMBDA_LOG_LEVEL` (Lambda's advanced logging controls), else `RUST_LOG`,
//!   else `INFO`;
//! * JSON lines when `AWS_LAMBDA_LOG_FORMAT=JSON`, each carrying the fields of every open span;
//!   compact text otherwise (CloudWatch adds the timestamp).
//!
//! Inside a handler every line carries the runtime's `requestId` and the dispatcher's `event_id`,
//! `source` and `detail_type` span fields. Never log a full customer e-mail address: use
//! [`EmailAddress`](crate::EmailAddress), whose `Debug`/`Display` are masked.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. Returns `false` (and changes nothing) when one is already set,
/// so calling it twice never panics.
///
/// ```
/// let first = eventbridge_lambda::logging::init();
/// assert!(!eventbridge_lambda::logging::init(), "second call is a no-op");
/// # let _ = first;
/// ```
pub fn init() -> bool {
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT")
        .is_ok_and(|format| format.eq_ignore_ascii_case("json"));
    let filter = filter_from_env();
    if json {
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_current_span(false)
            .with_span_list(true)
            .flatten_event(true)
            .with_target(false)
            .try_init()
            .is_ok()
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_target(false)
            .with_ansi(false)
            .without_time()
            .try_init()
            .is_ok()
    }
}

fn filter_from_env() -> EnvFilter {
    let directive = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".to_owned());
    EnvFilter::try_new(directive.to_lowercase()).unwrap_or_else(|_| EnvFilter::new("info"))
}

//! `localbus test-event-pattern`: the TestEventPattern API, locally.
//!
//! Single mode prints `{"Result":true}` or `{"Result":false}` and exits 0; an invalid
//! pattern or event prints AWS's error to stderr and exits 2. Batch mode reads JSON Lines
//! of `{"pattern": …, "event": …}` (each an object, or a string holding the JSON text) and
//! writes one `{"Result":…}` or `{"Error":"<reason>"}` line per input line, in order.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::input::load;
use eventbridge_pattern::{Limits, Pattern, PatternError};
use serde_json::Value;
use serde_json::value::RawValue;

/// Fields the TestEventPattern API requires in the event. The API reference also lists
/// `resources`, but AWS accepted 147 recorded events without it (LocalStack's
/// AWS-validated cases), so it is not required here.
const ENVELOPE_FIELDS: [&str; 6] = ["id", "account", "source", "time", "region", "detail-type"];

const EVENT_INVALID: &str = "Parameter Event is not valid.";

/// Arguments of `test-event-pattern`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("mode").required(true).args(["event_pattern", "batch"])))]
pub(crate) struct Args {
    /// The event pattern: JSON text, or file://PATH.
    #[arg(long, value_name = "JSON|file://PATH", requires = "event")]
    event_pattern: Option<String>,

    /// The event: JSON text, or file://PATH.
    #[arg(long, value_name = "JSON|file://PATH", requires = "event_pattern")]
    event: Option<String>,

    /// Test many cases: a JSON Lines file of {"pattern": ..., "event": ...}.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["event_pattern", "event"])]
    batch: Option<PathBuf>,

    /// Longest accepted pattern, in characters (AWS's default quota is 2048).
    #[arg(long, value_name = "N", default_value_t = 2048)]
    max_pattern_chars: usize,

    /// Do not require the envelope fields (id, account, source, time, region, detail-type)
    /// in events.
    #[arg(long)]
    skip_envelope_check: bool,
}

/// Why one test could not give a result.
pub(crate) enum Failure {
    Pattern(PatternError),
    Event,
}

impl Failure {
    /// The AWS CLI's wording.
    fn cli_message(&self) -> String {
        match self {
            Failure::Pattern(e) => format!(
                "An error occurred (InvalidEventPatternException) when calling the TestEventPattern operation: {e}"
            ),
            Failure::Event => format!(
                "An error occurred (ValidationException) when calling the TestEventPattern operation: {EVENT_INVALID}"
            ),
        }
    }

    /// The reason alone, for batch output.
    fn reason(&self) -> String {
        match self {
            Failure::Pattern(e) => e.reason(),
            Failure::Event => EVENT_INVALID.to_owned(),
        }
    }
}

/// Runs the subcommand.
pub(crate) fn run(args: &Args) -> ExitCode {
    let limits = Limits {
        max_pattern_chars: args.max_pattern_chars,
        ..Limits::default()
    };
    if let Some(path) = &args.batch {
        return run_batch(path, &limits, args.skip_envelope_check);
    }
    let (Some(pattern), Some(event)) = (&args.event_pattern, &args.event) else {
        return fail("both --event-pattern and --event are required");
    };
    let pattern = match load(pattern) {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    let event = match load(event) {
        Ok(e) => e,
        Err(e) => return fail(&e),
    };
    match test(&pattern, &event, &limits, args.skip_envelope_check) {
        Ok(result) => {
            let mut out = std::io::stdout().lock();
            if writeln!(out, "{}", result_line(result)).is_err() {
                return ExitCode::from(1);
            }
            ExitCode::SUCCESS
        }
        Err(f) => fail(&f.cli_message()),
    }
}

fn fail(message: &str) -> ExitCode {
    let mut err = std::io::stderr().lock();
    // Nothing more can be done if stderr is gone.
    let _ = writeln!(err, "{message}");
    ExitCode::from(2)
}

fn result_line(result: bool) -> &'static str {
    if result {
        r#"{"Result":true}"#
    } else {
        r#"{"Result":false}"#
    }
}

/// One TestEventPattern call.
pub(crate) fn test(
    pattern: &str,
    event: &str,
    limits: &Limits,
    skip_envelope: bool,
) -> Result<bool, Failure> {
    check_event(event, skip_envelope)?;
    let pattern = Pattern::parse_with(pattern, limits).map_err(Failure::Pattern)?;
    pattern.matches(event).map_err(|_| Failure::Event)
}

/// The event must be a JSON object holding the envelope fields.
fn check_event(event: &str, skip_envelope: bool) -> Result<(), Failure> {
    let value: Value = serde_json::from_str(event).map_err(|_| Failure::Event)?;
    let Value::Object(map) = value else {
        return Err(Failure::Event);
    };
    if !skip_envelope && !ENVELOPE_FIELDS.iter().all(|f| map.contains_key(*f)) {
        return Err(Failure::Event);
    }
    Ok(())
}

/// A batch field: an object is used as written, a string holds the JSON text.
fn text_of(raw: Option<&RawValue>) -> Option<String> {
    let raw = raw?.get();
    if raw.trim_start().starts_with('"') {
        serde_json::from_str::<String>(raw).ok()
    } else {
        Some(raw.to_owned())
    }
}

fn batch_line(line: &str, limits: &Limits, skip_envelope: bool) -> String {
    #[derive(serde::Deserialize)]
    struct Case<'a> {
        #[serde(borrow)]
        pattern: Option<&'a RawValue>,
        #[serde(borrow)]
        event: Option<&'a RawValue>,
    }
    let error = |reason: &str| serde_json::json!({ "Error": reason }).to_string();
    let case: Case<'_> = match serde_json::from_str(line) {
        Ok(c) => c,
        Err(e) => {
            return error(&format!(
                "line is not a JSON object with pattern and event: {e}"
            ));
        }
    };
    let Some(pattern) = text_of(case.pattern) else {
        return error("missing pattern");
    };
    let Some(event) = text_of(case.event) else {
        return error("missing event");
    };
    match test(&pattern, &event, limits, skip_envelope) {
        Ok(r) => result_line(r).to_owned(),
        Err(f) => error(&f.reason()),
    }
}

fn run_batch(path: &PathBuf, limits: &Limits, skip_envelope: bool) -> ExitCode {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return fail(&format!("cannot read {}: {e}", path.display())),
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in BufReader::new(file).lines() {
        let line = match line {
            Ok(l) => l,
            Err(e) => return fail(&format!("cannot read {}: {e}", path.display())),
        };
        if line.trim().is_empty() {
            continue;
        }
        if writeln!(out, "{}", batch_line(&line, limits, skip_envelope)).is_err() {
            return ExitCode::from(1);
        }
    }
    if out.flush().is_err() {
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

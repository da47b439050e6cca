//! `localbus routes` and `localbus route`: the template's rules, and which targets an event
//! reaches with the exact payload each receives.

use crate::input::load;
use crate::stack::Stack;
use crate::transform::{self, RuleContext, TransformError};
use eventbridge_pattern::Matcher;
use sam_template::{Destination, Rule, Target, TargetInput, Template};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `routes`.
#[derive(Debug, clap::Args)]
pub(crate) struct RoutesArgs {
    /// The SAM template.
    #[arg(long, value_name = "PATH", default_value = "template.yaml")]
    template: PathBuf,
}

/// Output formats of `route`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum Output {
    /// `{"Matches": [...]}`.
    Json,
    /// One line per target.
    Table,
}

/// Arguments of `route`.
#[derive(Debug, clap::Args)]
pub(crate) struct RouteArgs {
    /// The event: JSON text or file://PATH.
    #[arg(long, value_name = "JSON|file://PATH")]
    event: String,
    /// The bus: a logical id or name in the template; the default bus when omitted.
    #[arg(long, value_name = "NAME")]
    event_bus_name: Option<String>,
    /// The SAM template.
    #[arg(long, value_name = "PATH", default_value = "template.yaml")]
    template: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Json)]
    output: Output,
}

/// The envelope fields EventBridge requires of an event.
pub(crate) const ENVELOPE_FIELDS: [&str; 6] =
    ["id", "account", "source", "time", "region", "detail-type"];

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("localbus: {message}");
    ExitCode::from(2)
}

/// Runs `routes`: every bus, rule, pattern and target, as a table.
pub(crate) fn run_routes(args: &RoutesArgs) -> ExitCode {
    let template = match Template::from_path(&args.template) {
        Ok(template) => template,
        Err(error) => return fail(error),
    };
    crate::findings::warn(&template);
    let mut invalid = false;
    crate::output::line(format_args!(
        "{:<10} {:<38} {:<8} {:<40} PATTERN",
        "BUS", "RULE", "STATE", "TARGETS"
    ));
    for rule in template.rules() {
        let bus = rule.bus.logical_id().unwrap_or("(external)");
        let targets: Vec<String> = rule
            .targets
            .iter()
            .map(|target| describe_target(&template, target))
            .collect();
        let pattern = match eventbridge_pattern::validate(&rule.pattern_text()) {
            Ok(()) => rule.pattern_text(),
            Err(error) => {
                invalid = true;
                format!("INVALID: {error}")
            }
        };
        crate::output::line(format_args!(
            "{bus:<10} {:<38} {:<8} {:<40} {pattern}",
            rule.logical_id,
            state(rule),
            targets.join(", ")
        ));
    }
    if crate::v2::route::print_subscribers(&template) {
        invalid = true;
    }
    if invalid {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

fn state(rule: &Rule) -> &'static str {
    if rule.state.is_enabled() {
        "ENABLED"
    } else {
        "DISABLED"
    }
}

fn describe_target(template: &Template, target: &Target) -> String {
    let reached: Vec<String> = template
        .reached_functions(target)
        .into_iter()
        .map(|(function, delivery)| format!("{function} ({})", delivery.as_str()))
        .collect();
    match &target.destination {
        Destination::Queue(queue) => format!("{queue} -> {}", reached.join(", ")),
        _ if !reached.is_empty() => reached.join(", "),
        other => format!("{other:?}"),
    }
}

/// Runs `route`.
pub(crate) fn run_route(args: &RouteArgs) -> ExitCode {
    match route(args) {
        Ok(matches) => {
            match args.output {
                Output::Json => crate::output::line(format_args!(
                    "{}",
                    serde_json::to_string_pretty(&json!({ "Matches": matches }))
                        .unwrap_or_default()
                )),
                Output::Table => {
                    crate::output::line(format_args!(
                        "{:<38} {:<26} {:<8} {:<16} INPUT",
                        "RULE", "FUNCTION", "DELIVERY", "QUEUE"
                    ));
                    for m in &matches {
                        let text = |key: &str| {
                            m.get(key).and_then(Value::as_str).unwrap_or("-").to_owned()
                        };
                        crate::output::line(format_args!(
                            "{:<38} {:<26} {:<8} {:<16} {}",
                            text("Rule"),
                            text("Function"),
                            text("Delivery"),
                            text("Queue"),
                            m.get("Input").map(Value::to_string).unwrap_or_default()
                        ));
                    }
                }
            }
            ExitCode::SUCCESS
        }
        Err(message) => fail(message),
    }
}

/// The matches of an event: `{"Rule", "Function", "Delivery", "Queue"?, "Input"}` per target.
pub(crate) fn route(args: &RouteArgs) -> Result<Vec<Value>, String> {
    let template = Template::from_path(&args.template).map_err(|error| error.to_string())?;
    let text = load(&args.event)?;
    if let Some(name) = args.event_bus_name.as_deref() {
        let stack = local_stack(&template)?;
        if let Some(bus) = crate::v2::custom_bus_named(&template, &stack, name) {
            return crate::v2::route::route(&template, &stack, &bus.logical_id, &text);
        }
    }
    let event: Value = serde_json::from_str(&text).map_err(|_| {
        "An error occurred (ValidationException): Parameter Event is not valid.".to_owned()
    })?;
    if !event.is_object()
        || ENVELOPE_FIELDS
            .iter()
            .any(|field| event.get(field).is_none())
    {
        return Err(
            "An error occurred (ValidationException): Parameter Event is not valid.".to_owned(),
        );
    }
    let stack = local_stack(&template)?;
    let bus = stack.bus_logical_id(&template, args.event_bus_name.as_deref())?;
    route_event(&template, &bus, &event)
}

/// Names as a local deployment gives them (parameter defaults), so `orders-dev` works too.
fn local_stack(template: &Template) -> Result<Stack, String> {
    Stack::new(
        template,
        "localbus",
        "us-east-1",
        crate::stack::LOCAL_ACCOUNT,
        "http://localhost",
        &[],
    )
    .map_err(|error| error.to_string())
}

/// One target an event reaches, with the payload it receives.
#[derive(Debug, Clone)]
pub(crate) struct RouteMatch {
    /// The rule's logical id.
    pub(crate) rule: String,
    /// The target's `Id`.
    pub(crate) target_id: String,
    /// What the target is.
    pub(crate) destination: Destination,
    /// The functions the payload ends up in, and how.
    pub(crate) reached: Vec<(String, sam_template::Delivery)>,
    /// `"lambda"`, `"sqs"`, ... as the target delivers.
    pub(crate) delivery: &'static str,
    /// The payload (after Input, InputPath or InputTransformer).
    pub(crate) input: Value,
}

impl RouteMatch {
    /// The queue's logical id, for an SQS target.
    pub(crate) fn queue(&self) -> Option<&str> {
        match &self.destination {
            Destination::Queue(queue) => Some(queue),
            _ => None,
        }
    }

    /// The JSON entries of `route`'s output: one per reached function (one with `Function:
    /// null` when the target reaches none).
    fn entries(&self) -> Vec<Value> {
        if self.reached.is_empty() {
            return vec![
                json!({"Rule": self.rule, "Function": null, "Delivery": self.delivery, "Queue": self.queue(), "Input": self.input}),
            ];
        }
        self.reached
            .iter()
            .map(|(function, delivery)| {
                let mut entry = json!({"Rule": self.rule, "Function": function, "Delivery": delivery.as_str(), "Input": self.input});
                if let Some(queue) = self.queue() {
                    entry["Queue"] = Value::String(queue.to_owned());
                }
                entry
            })
            .collect()
    }
}

/// Routes `event` on `bus` through the template's enabled rules: `route`'s JSON entries.
pub(crate) fn route_event(
    template: &Template,
    bus: &str,
    event: &Value,
) -> Result<Vec<Value>, String> {
    Ok(route_matches(template, bus, event)?
        .iter()
        .flat_map(RouteMatch::entries)
        .collect())
}

/// Routes `event` on `bus` (a logical id) through the template's enabled rules.
pub(crate) fn route_matches(
    template: &Template,
    bus: &str,
    event: &Value,
) -> Result<Vec<RouteMatch>, String> {
    route_through(template, template.rules_on_bus(bus).collect(), bus, event)
}

/// Routes `event` through `rules` (those of the bus named `bus_name`; disabled ones are
/// skipped).
pub(crate) fn route_through(
    template: &Template,
    rules: Vec<&Rule>,
    bus_name: &str,
    event: &Value,
) -> Result<Vec<RouteMatch>, String> {
    let rules: Vec<&Rule> = rules
        .into_iter()
        .filter(|rule| rule.state.is_enabled())
        .collect();
    let matcher = Matcher::new(
        rules
            .iter()
            .map(|rule| (rule.logical_id.clone(), rule.pattern_text())),
    )
    .map_err(|error| format!("a rule on {bus_name} has an invalid pattern: {error}"))?;
    let bytes = serde_json::to_vec(event).map_err(|error| error.to_string())?;
    let matched = matcher
        .matching_names(&bytes)
        .map_err(|error| error.to_string())?;
    let ingestion_time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut matches = Vec::new();
    for rule in rules
        .iter()
        .filter(|rule| matched.contains(&rule.logical_id.as_str()))
    {
        for target in &rule.targets {
            let context = RuleContext {
                rule_name: &rule.logical_id,
                bus_name,
                target_id: &target.id,
                ingestion_time: &ingestion_time,
            };
            let input = input_for(target, event, &context)
                .map_err(|error| format!("rule {}: {error}", rule.logical_id))?;
            matches.push(RouteMatch {
                rule: rule.logical_id.clone(),
                target_id: target.id.clone(),
                destination: target.destination.clone(),
                reached: template
                    .reached_functions(target)
                    .into_iter()
                    .map(|(function, delivery)| (function.to_owned(), delivery))
                    .collect(),
                delivery: target.delivery.as_str(),
                input,
            });
        }
    }
    Ok(matches)
}

/// The payload a target receives.
fn input_for(
    target: &Target,
    event: &Value,
    rule: &RuleContext<'_>,
) -> Result<Value, TransformError> {
    match &target.input {
        TargetInput::Event => Ok(event.clone()),
        TargetInput::Constant(text) => transform::constant(text),
        TargetInput::Path(path) => Ok(transform::input_path(event, path)?.unwrap_or(Value::Null)),
        TargetInput::Transformer {
            paths_map,
            template,
        } => transform::transform(event, paths_map, template, rule),
        other => Err(TransformError::Unsupported(format!("{other:?}"))),
    }
}

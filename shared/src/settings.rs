//! Function settings from the environment (set by `template.yaml`), read once at cold start.

/// A required setting is missing or empty: the cold start fails with this message, so a
/// misconfigured function never handles an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("environment variable {0} is not set")]
pub struct MissingSetting(pub &'static str);

/// The value of a required environment variable.
///
/// ```
/// use eventbridge_lambda::settings::{MissingSetting, required};
/// assert_eq!(required("EVENTBRIDGE_LAMBDA_DOC_UNSET"), Err(MissingSetting("EVENTBRIDGE_LAMBDA_DOC_UNSET")));
/// ```
///
/// # Errors
/// [`MissingSetting`] when the variable is unset, empty or not Unicode.
pub fn required(name: &'static str) -> Result<String, MissingSetting> {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => Ok(value),
        _ => Err(MissingSetting(name)),
    }
}

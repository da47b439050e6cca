//! Command-line values given as text or as `file://PATH`, like the AWS CLI.

/// Reads `file://PATH` arguments; anything else is the JSON text itself.
pub(crate) fn load(arg: &str) -> Result<String, String> {
    match arg.strip_prefix("file://") {
        Some(path) => std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}")),
        None => Ok(arg.to_owned()),
    }
}

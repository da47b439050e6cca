//! The sample events that `events/routing/routing.json` declares a function receives.

use crate::{TestingError, workspace_root};

/// The samples of `events/` that `events/routing/routing.json` routes to `function` (a logical id
/// of `template.yaml`), as `(file name, payload)`. The routing test of sam-template proves that
/// routing.json is what the template's rules do; a function's own test then proves that each of
/// these payloads decodes as its handler's detail type, so template and code agree.
///
/// # Errors
/// [`TestingError::Io`] when a file cannot be read, or is not the JSON routing.json should be.
pub fn routed_samples(function: &str) -> Result<Vec<(String, Vec<u8>)>, TestingError> {
    let events = workspace_root().join("events");
    let routing: serde_json::Value =
        serde_json::from_slice(&std::fs::read(events.join("routing/routing.json"))?)
            .map_err(std::io::Error::other)?;
    let entries = routing
        .as_object()
        .ok_or_else(|| std::io::Error::other("routing.json is not an object"))?;
    let mut samples = Vec::new();
    for (name, entry) in entries {
        // Entries of other kinds (an SQS batch sample, `"kind": "sqs"`) carry no `reaches`: their
        // bodies are events of `events/` themselves.
        let Some(reaches) = entry.get("reaches").and_then(serde_json::Value::as_array) else {
            continue;
        };
        if reaches.iter().any(|reached| reached == function) {
            samples.push((name.clone(), std::fs::read(events.join(name))?));
        }
    }
    Ok(samples)
}

//! A writer that tests give to a log subscriber or a metrics writer, and read back as JSON lines.

use serde_json::{Map, Value};
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

/// An in-memory writer shared between the code under test (a clone) and the test, which reads
/// what was written as one JSON object per line.
///
/// ```
/// use eventbridge_lambda_testing::JsonLines;
/// use std::io::Write;
/// let lines = JsonLines::default();
/// let mut writer = lines.clone();
/// writer.write_all(b"{\"level\":\"INFO\"}\n").unwrap();
/// assert_eq!(lines.take()[0]["level"], "INFO");
/// assert!(lines.take().is_empty());
/// ```
#[derive(Clone, Debug, Default)]
pub struct JsonLines(Arc<Mutex<Vec<u8>>>);

impl Write for JsonLines {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl JsonLines {
    /// The text written so far, left in place.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }

    /// Takes every line written so far, each parsed as one JSON object.
    ///
    /// # Panics
    /// When the text is not UTF-8, does not end with a newline, or a line is not a JSON object:
    /// each is a failure of the code under test.
    #[allow(clippy::panic)] // a test helper: a malformed line fails the test
    pub fn take(&self) -> Vec<Map<String, Value>> {
        let bytes = std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner));
        let text = String::from_utf8(bytes)
            .unwrap_or_else(|error| panic!("written text is not UTF-8: {error}"));
        assert!(
            text.is_empty() || text.ends_with('\n'),
            "every line ends with a newline: {text:?}"
        );
        text.lines()
            .map(|line| match serde_json::from_str(line) {
                Ok(Value::Object(object)) => object,
                other => panic!("not a JSON object: {line} ({other:?})"),
            })
            .collect()
    }
}

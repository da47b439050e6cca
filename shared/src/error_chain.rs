//! Rendering an error with its causes, for log lines and Lambda's `errorMessage`.

use std::error::Error;
use std::fmt;

/// Displays an error followed by every cause in its [`source`](Error::source) chain, separated
/// by `": "`. A cause whose text the message already contains (an error that prints its source
/// itself, as `#[error("…: {0}")]` does) is not repeated.
///
/// ```
/// use eventbridge_lambda::ErrorChain;
///
/// #[derive(Debug, thiserror::Error)]
/// #[error("could not reserve order o-1")]
/// struct Reserve(#[source] std::io::Error);
///
/// let error = Reserve(std::io::Error::other("connection reset"));
/// assert_eq!(ErrorChain(&error).to_string(), "could not reserve order o-1: connection reset");
/// ```
#[derive(Clone, Copy)]
pub struct ErrorChain<'a>(pub &'a (dyn Error + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut written = self.0.to_string();
        f.write_str(&written)?;
        let mut cause = self.0.source();
        while let Some(error) = cause {
            let text = error.to_string();
            if !text.is_empty() && !written.contains(&text) {
                f.write_str(": ")?;
                f.write_str(&text)?;
                written.push_str(": ");
                written.push_str(&text);
            }
            cause = error.source();
        }
        Ok(())
    }
}

impl fmt::Debug for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer: {0}")]
    struct PrintsItsSource(#[source] Inner);

    #[derive(Debug, thiserror::Error)]
    #[error("inner")]
    struct Inner(#[source] std::io::Error);

    #[test]
    fn every_cause_once() {
        let error = PrintsItsSource(Inner(std::io::Error::other("root cause")));
        assert_eq!(
            ErrorChain(&error).to_string(),
            "outer: inner: root cause",
            "`inner` is in the message already; `root cause` is appended"
        );
    }
}

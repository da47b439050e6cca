//! Standard output of the subcommands.

use std::io::Write;

/// Writes one line to standard output (a closed pipe is not an error worth a panic).
pub(crate) fn line(text: impl std::fmt::Display) {
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

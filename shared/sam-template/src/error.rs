//! Errors of reading a template.

use std::path::PathBuf;

/// Why a template could not be read.
///
/// ```
/// use sam_template::{Template, TemplateError};
///
/// let err = Template::parse("Resources: [1, 2]").unwrap_err();
/// assert!(matches!(err, TemplateError::Invalid { .. }));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The template's path.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The text is not YAML (or JSON).
    #[error("not valid YAML: {message}")]
    Yaml {
        /// The parser's message, with line and column.
        message: String,
    },
    /// The text holds no YAML document, or more than one.
    #[error("a template is exactly one YAML document, found {documents}")]
    DocumentCount {
        /// How many documents the text holds.
        documents: usize,
    },
    /// A YAML feature CloudFormation templates do not use here (an unresolved alias, a tag other than a
    /// short-form intrinsic function, a complex mapping key, a value YAML cannot resolve).
    #[error("{path}: unsupported YAML: {what}")]
    Unsupported {
        /// Where, as a dotted path from the document root.
        path: String,
        /// What was found.
        what: String,
    },
    /// A part of the template does not have the shape CloudFormation or SAM require.
    #[error("{path}: {reason}")]
    Invalid {
        /// Where, as a dotted path from the document root (e.g. `Resources.MyRule.Properties`).
        path: String,
        /// What is wrong.
        reason: String,
    },
}

impl TemplateError {
    pub(crate) fn invalid(path: impl Into<String>, reason: impl Into<String>) -> Self {
        TemplateError::Invalid {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

//! The one error type of suite loading: which file, which field, what is wrong — printed on one line.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {field}: {message}", file.display())]
pub struct SuiteError {
    pub file: PathBuf,
    /// A path into the document, such as `phases[1].expect` or `spec.egress[0].to[0].ipBlock.cidr`.
    pub field: String,
    pub message: String,
}

impl SuiteError {
    pub fn new(file: &Path, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            field: field.into(),
            message: one_line(&message.into()),
        }
    }
}

/// A YAML parser error: its first line only, split into `line L column C` and the message.
pub(crate) fn from_yaml(file: &Path, error: impl std::fmt::Display) -> SuiteError {
    let text = error.to_string();
    let first = text
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ");
    match first.split_once(": ") {
        Some((location, message)) if location.starts_with("line ") => {
            SuiteError::new(file, location, message)
        }
        _ => SuiteError::new(file, "(yaml)", first),
    }
}

/// Folds a multi-line parser message into one line.
pub(crate) fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

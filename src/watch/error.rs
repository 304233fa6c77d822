//! One error type for the watch core. Each kind has a stable code that the JS
//! layer exposes as `err.code`.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    InvalidOption,
    Io,
}

impl ErrorKind {
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::InvalidOption => "ERR_LEAKWATCH_INVALID_OPTION",
            ErrorKind::Io => "ERR_LEAKWATCH_IO",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchError {
    pub kind: ErrorKind,
    pub message: String,
}

impl WatchError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        WatchError {
            kind,
            message: message.into(),
        }
    }

    pub fn invalid_option(name: &str, why: &str) -> Self {
        WatchError::new(
            ErrorKind::InvalidOption,
            format!("invalid option {name}: {why}"),
        )
    }

    pub fn code(&self) -> &'static str {
        self.kind.code()
    }
}

impl fmt::Display for WatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message)
    }
}

impl std::error::Error for WatchError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_option_has_stable_code_and_names_the_option() {
        let e = WatchError::invalid_option("windowMs", "must be a positive number");
        assert_eq!(e.code(), "ERR_LEAKWATCH_INVALID_OPTION");
        assert_eq!(
            e.to_string(),
            "ERR_LEAKWATCH_INVALID_OPTION: invalid option windowMs: must be a positive number"
        );
    }
}

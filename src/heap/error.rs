//! One error type for the heap analyzer. Each kind has a stable code that the JS
//! layer exposes as `err.code`, so callers can tell a corrupt file from a file
//! that is merely too large for the configured limits.

use std::fmt;
use std::io;

/// What went wrong, as a stable category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeapErrorKind {
    /// The bytes are not the JSON shape of a heap snapshot.
    Parse,
    /// The input ended before the snapshot did (a 0-byte or half-written file).
    Truncated,
    /// Well-formed JSON whose contents contradict themselves (counts, indices).
    Invalid,
    /// The snapshot exceeds the configured limits.
    TooLarge,
    /// The file starts like gzip but does not decompress.
    Gzip,
    /// Reading the file failed.
    Io,
    /// The caller passed options that cannot work (e.g. four files).
    InvalidOption,
    /// A `.heapprofile` that is not a V8 sampling heap profile.
    Profile,
}

impl HeapErrorKind {
    /// The stable code, e.g. `ERR_LEAKWATCH_SNAPSHOT_PARSE`.
    pub fn code(self) -> &'static str {
        match self {
            HeapErrorKind::Parse => "ERR_LEAKWATCH_SNAPSHOT_PARSE",
            HeapErrorKind::Truncated => "ERR_LEAKWATCH_SNAPSHOT_TRUNCATED",
            HeapErrorKind::Invalid => "ERR_LEAKWATCH_SNAPSHOT_INVALID",
            HeapErrorKind::TooLarge => "ERR_LEAKWATCH_SNAPSHOT_TOO_LARGE",
            HeapErrorKind::Gzip => "ERR_LEAKWATCH_GZIP",
            HeapErrorKind::Io => "ERR_LEAKWATCH_IO",
            HeapErrorKind::InvalidOption => "ERR_LEAKWATCH_INVALID_OPTION",
            HeapErrorKind::Profile => "ERR_LEAKWATCH_PROFILE_INVALID",
        }
    }
}

/// The heap analyzer's error: a kind with a stable code and a human message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeapError {
    pub kind: HeapErrorKind,
    pub message: String,
}

impl HeapError {
    pub fn new(kind: HeapErrorKind, message: impl Into<String>) -> Self {
        HeapError {
            kind,
            message: message.into(),
        }
    }

    /// The stable code of this error's kind.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    pub(crate) fn parse(message: impl Into<String>) -> Self {
        HeapError::new(HeapErrorKind::Parse, message)
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        HeapError::new(HeapErrorKind::Invalid, message)
    }

    pub(crate) fn too_large(message: impl Into<String>) -> Self {
        HeapError::new(HeapErrorKind::TooLarge, message)
    }

    pub(crate) fn truncated(message: impl Into<String>) -> Self {
        HeapError::new(HeapErrorKind::Truncated, message)
    }

    /// Classifies a read error. flate2 reports corrupt gzip data as
    /// `InvalidInput`/`InvalidData`, and a gzip stream cut short as
    /// `UnexpectedEof`, so the kind depends on whether the input was gzip.
    pub fn from_io(context: &str, err: &io::Error, gzip: bool) -> Self {
        let kind = match err.kind() {
            io::ErrorKind::UnexpectedEof => HeapErrorKind::Truncated,
            io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData if gzip => HeapErrorKind::Gzip,
            _ => HeapErrorKind::Io,
        };
        HeapError::new(kind, format!("{context}: {err}"))
    }
}

impl fmt::Display for HeapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message)
    }
}

impl std::error::Error for HeapError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_carries_the_stable_code_as_prefix() {
        let e = HeapError::invalid("edge to_node 7 out of range");
        assert_eq!(
            e.to_string(),
            "ERR_LEAKWATCH_SNAPSHOT_INVALID: edge to_node 7 out of range"
        );
    }

    #[test]
    fn corrupt_gzip_and_cut_gzip_are_told_apart() {
        let corrupt = io::Error::new(io::ErrorKind::InvalidInput, "bad header");
        assert_eq!(
            HeapError::from_io("read", &corrupt, true).kind,
            HeapErrorKind::Gzip
        );
        assert_eq!(
            HeapError::from_io("read", &corrupt, false).kind,
            HeapErrorKind::Io
        );
        let cut = io::Error::from(io::ErrorKind::UnexpectedEof);
        assert_eq!(
            HeapError::from_io("read", &cut, true).kind,
            HeapErrorKind::Truncated
        );
    }
}

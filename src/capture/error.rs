//! One error type for the capture core. Each kind has a stable code that the JS
//! layer exposes as `err.code`.

use std::fmt;
use std::io;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    InvalidOption,
    DirNotWritable,
    DiskFull,
    NoDiskHeadroom,
    NoMemoryHeadroom,
    SnapshotFailed,
    Truncated,
    ChildHung,
    ChildFailed,
    Timeout,
    ForkFailed,
    /// The stream to redact is not a heap snapshot the redactor can read.
    RedactFailed,
    Io,
}

impl ErrorKind {
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::InvalidOption => "ERR_LEAKWATCH_INVALID_OPTION",
            ErrorKind::DirNotWritable => "ERR_LEAKWATCH_DIR_NOT_WRITABLE",
            ErrorKind::DiskFull => "ERR_LEAKWATCH_DISK_FULL",
            ErrorKind::NoDiskHeadroom => "ERR_LEAKWATCH_NO_DISK_HEADROOM",
            ErrorKind::NoMemoryHeadroom => "ERR_LEAKWATCH_NO_MEMORY_HEADROOM",
            ErrorKind::SnapshotFailed => "ERR_LEAKWATCH_SNAPSHOT_FAILED",
            // One code for "the snapshot JSON ended early", whether seen
            // while writing it (nothing is published) or while analysing it.
            ErrorKind::Truncated => "ERR_LEAKWATCH_SNAPSHOT_TRUNCATED",
            ErrorKind::ChildHung => "ERR_LEAKWATCH_CHILD_HUNG",
            ErrorKind::ChildFailed => "ERR_LEAKWATCH_CHILD_FAILED",
            // The forked child outlived `timeoutMs`; `ERR_LEAKWATCH_TIMEOUT`
            // is only a growth measurement running past its own timeoutMs.
            ErrorKind::Timeout => "ERR_LEAKWATCH_CHILD_TIMEOUT",
            ErrorKind::ForkFailed => "ERR_LEAKWATCH_FORK_FAILED",
            ErrorKind::RedactFailed => "ERR_LEAKWATCH_REDACT_FAILED",
            ErrorKind::Io => "ERR_LEAKWATCH_IO",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureError {
    pub kind: ErrorKind,
    pub message: String,
}

impl CaptureError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        CaptureError {
            kind,
            message: message.into(),
        }
    }

    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// Classifies an I/O error on the output directory or file: a full disk
    /// (or a file size limit) is reported as such; anything that says the
    /// directory cannot be made or written (permissions, read-only, a file in
    /// the way, a path that cannot exist) as an unwritable directory.
    pub fn from_io(context: &str, err: &io::Error) -> Self {
        let kind = match err.raw_os_error() {
            Some(libc::ENOSPC | libc::EDQUOT | libc::EFBIG) => ErrorKind::DiskFull,
            Some(
                libc::EACCES
                | libc::EPERM
                | libc::EROFS
                | libc::ENOTDIR
                | libc::EEXIST
                | libc::EISDIR
                | libc::ENOENT
                | libc::ENAMETOOLONG
                | libc::ELOOP,
            ) => ErrorKind::DirNotWritable,
            _ => ErrorKind::Io,
        };
        CaptureError::new(kind, format!("{context}: {err}"))
    }

    /// An error reading an input file (`leakwatch redact`'s snapshot): the
    /// directory rules of [`from_io`](Self::from_io) are about where leakwatch
    /// writes, so a missing or unreadable input is a plain I/O error.
    pub fn reading(context: &str, err: &io::Error) -> Self {
        CaptureError::new(ErrorKind::Io, format!("{context}: {err}"))
    }
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message)
    }
}

impl std::error::Error for CaptureError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_disk_and_file_size_limit_are_disk_full() {
        for errno in [libc::ENOSPC, libc::EDQUOT, libc::EFBIG] {
            let e = CaptureError::from_io("write", &io::Error::from_raw_os_error(errno));
            assert_eq!(e.code(), "ERR_LEAKWATCH_DISK_FULL");
        }
    }

    #[test]
    fn permission_errors_are_dir_not_writable() {
        let e = CaptureError::from_io("open", &io::Error::from_raw_os_error(libc::EACCES));
        assert_eq!(e.kind, ErrorKind::DirNotWritable);
        assert!(e
            .to_string()
            .starts_with("ERR_LEAKWATCH_DIR_NOT_WRITABLE: open:"));
    }

    #[test]
    fn a_file_in_the_way_or_an_impossible_path_is_dir_not_writable() {
        for errno in [
            libc::ENOTDIR,
            libc::EEXIST,
            libc::ENOENT,
            libc::ENAMETOOLONG,
        ] {
            let e = CaptureError::from_io("create", &io::Error::from_raw_os_error(errno));
            assert_eq!(e.kind, ErrorKind::DirNotWritable, "errno {errno}");
        }
    }

    #[test]
    fn other_errors_are_io() {
        let e = CaptureError::from_io("read", &io::Error::from_raw_os_error(libc::EIO));
        assert_eq!(e.kind, ErrorKind::Io);
    }
}

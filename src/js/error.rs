//! The one place core errors become JS errors. The message carries the stable
//! code as a prefix (`ERR_LEAKWATCH_…: message`); `lib/errors.js` moves it to
//! `err.code`, which works the same for sync calls, async tasks and promises.

use crate::capture::CaptureError;
use crate::heap::HeapError;

pub trait CodedError {
    fn code(&self) -> &'static str;
    fn message(&self) -> &str;
}

impl CodedError for CaptureError {
    fn code(&self) -> &'static str {
        CaptureError::code(self)
    }
    fn message(&self) -> &str {
        &self.message
    }
}

impl CodedError for HeapError {
    fn code(&self) -> &'static str {
        HeapError::code(self)
    }
    fn message(&self) -> &str {
        &self.message
    }
}

pub fn map_error<E: CodedError>(err: E) -> napi::Error {
    napi::Error::new(
        napi::Status::GenericFailure,
        format!("{}: {}", err.code(), err.message()),
    )
}

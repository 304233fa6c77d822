//! The one place core errors become JS errors. napi-rs turns an error's
//! `status` into the JS error's `code`, so a [`Code`] status gives every
//! error its stable `ERR_LEAKWATCH_…` code natively; `lib/errors.js` only
//! rewraps it as a `LeakwatchError`. Each core has one coded error type
//! (`CaptureError`, `WatchError`, `HeapError`,
//! `GrowthError`), mapped here once.
//!
//! Sync calls return `napi::Result<T, Code>`. Async tasks cannot: `Task::compute` runs on a
//! libuv thread and may only return a `Status` error, so the task keeps the
//! core error in a [`Pending`] and builds the coded JS error in `reject`,
//! where it has the env.

use crate::capture::CaptureError;
use crate::growth::GrowthError;
use crate::heap::HeapError;
use crate::watch::WatchError;
use napi::bindgen_prelude::{JsError, Unknown};
use napi::{Env, Status};

/// A stable `ERR_LEAKWATCH_…` code, used as a napi error status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code(pub &'static str);

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.0
    }
}

/// An error of one of the cores: a stable code and a message for people.
pub trait CodedError {
    fn code(&self) -> &'static str;
    fn message(&self) -> &str;
}

macro_rules! coded_error {
    ($ty:ty) => {
        impl CodedError for $ty {
            fn code(&self) -> &'static str {
                <$ty>::code(self)
            }
            fn message(&self) -> &str {
                &self.message
            }
        }
    };
}
coded_error!(CaptureError);
coded_error!(GrowthError);
coded_error!(HeapError);
coded_error!(WatchError);

/// A core error as a coded napi error, for sync calls.
pub fn map_error<E: CodedError>(err: E) -> napi::Error<Code> {
    napi::Error::new(Code(err.code()), err.message().to_owned())
}

/// A failure of napi itself (converting a value, registering a hook).
pub fn internal(err: napi::Error) -> napi::Error<Code> {
    napi::Error::new(Code("ERR_LEAKWATCH_INTERNAL"), err.reason)
}

/// The core error of an async task, kept from `compute` to `reject`.
#[derive(Default)]
pub struct Pending(Option<(&'static str, String)>);

impl Pending {
    /// Keeps `err` for [`reject`](Self::reject); returns the plain error
    /// `compute` must return.
    pub fn hold<E: CodedError>(&mut self, err: E) -> napi::Error {
        let message = err.message().to_owned();
        self.0 = Some((err.code(), message.clone()));
        napi::Error::new(Status::GenericFailure, message)
    }

    /// Rejects with the kept error, coded; `err` when none was kept.
    pub fn reject<T>(&mut self, env: &Env, err: napi::Error) -> napi::Result<T> {
        let Some((code, message)) = self.0.take() else {
            return Err(err);
        };
        let coded = JsError::from(napi::Error::new(Code(code), message.clone()));
        // SAFETY: `reject` runs on the env's JS thread with a live env.
        let raw = unsafe { coded.into_value(env.raw()) };
        if raw.is_null() {
            // The env is tearing down: nobody can receive the error.
            return Err(napi::Error::new(Status::GenericFailure, message));
        }
        // SAFETY: `raw` is an error object just created in this env.
        let value = unsafe { Unknown::from_raw_unchecked(env.raw(), raw) };
        // Holds a reference to the coded object, which napi rejects with as is.
        Err(napi::Error::from(value))
    }
}

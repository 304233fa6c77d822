//! Heap snapshot capture: a pipe that V8 writes into, a reader and a gzip stage
//! off the main thread, a temporary file that is fsynced and renamed, fork-mode
//! child supervision, retention and headroom guards.

pub mod condvar_patch;
pub mod error;
pub mod forker;
pub mod headroom;
pub mod naming;
pub mod options;
pub mod pipe;
pub mod procstat;
pub mod redact;
pub mod redact_file;
mod redact_parts;
mod redact_tee;
pub mod retention;
pub mod supervisor;
pub mod templock;
pub mod writer;

pub use error::{CaptureError, ErrorKind};

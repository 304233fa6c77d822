//! The growth watchdog core: robust trend statistics on the live heap measured
//! after major GCs, the leak/recovered decision, time-to-OOM projection, and the
//! RSS/cgroup sampling thread. No napi types here, so `cargo test` covers it.

pub mod assessment;
pub mod cadence;
pub mod cgroup;
pub mod confirm;
pub mod detector;
pub mod error;
pub mod floor;
pub mod oom;
pub mod options;
#[cfg(test)]
mod replay_tests;
pub mod rules;
pub mod sampler;
pub mod track;
pub mod tracks;
pub mod trend;
pub mod urgent;

pub use error::{ErrorKind, WatchError};

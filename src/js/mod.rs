//! Thin `#[napi]` glue: converts types, maps errors, forwards to the cores.

mod analyze;
mod capture;
mod capture_options;
mod error;
mod range;
mod redact;
mod trend;
mod watch;
mod watch_options;

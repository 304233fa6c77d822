//! Thin `#[napi]` glue: converts types, maps errors, forwards to the cores.

mod error;
mod watch;

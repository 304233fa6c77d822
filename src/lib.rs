//! leakwatch: find memory leaks inside running Node services.
//!
//! The cores (`capture`, `cgroup`, `growth`, `watch`, `heap`, and `range`, the
//! option schemas' rule for numbers) use no napi types so that `cargo test`
//! covers them directly; `js` only converts and forwards.

pub mod bytes;
pub mod capture;
pub mod cgroup;
pub mod growth;
pub mod heap;
#[cfg(test)]
mod node_tests;
pub mod range;
pub mod watch;

// Compiled under `cargo test` too, so clippy and the tests build the glue;
// napi registers the `#[napi]` items only outside tests, so there they look
// unused.
#[cfg_attr(test, allow(dead_code))]
mod js;

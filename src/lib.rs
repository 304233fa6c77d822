//! leakwatch: find memory leaks inside running Node services.
//!
//! The cores (`capture`, `cgroup`, `watch`, `heap`) use no napi types so that `cargo test`
//! covers them directly; `js` only converts and forwards.

pub mod capture;
pub mod cgroup;
pub mod heap;
pub mod watch;

#[cfg(not(test))]
mod js;

//! The watchdog's view of the container memory limit: the one cgroup reader
//! in `crate::cgroup` (see its docs for the rule), re-exported here so the
//! sampler and the JS glue keep their imports.

pub use crate::cgroup::{CgroupMemory, CgroupReader, Version, DEFAULT_ROOT, ROOT_ENV};

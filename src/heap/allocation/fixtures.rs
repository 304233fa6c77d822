//! Fixtures of the allocation tests (tests.rs, tests_inline.rs,
//! tests_cutover.rs): call frames as V8 writes them, and the sites ranked
//! from profiles given as JSON text. Declared in tests.rs.

use std::io::Cursor;

use super::super::{sites_from_readers, AllocationOptions, AllocationSite};
use crate::heap::error::HeapError;

/// The service's script in the hand-built profiles.
pub(crate) const APP: &str = "/srv/app.js";

/// `"callFrame":{...}` of `name` at `url:line` (zero-based), column 4.
pub(crate) fn frame(name: &str, url: &str, line: i64) -> String {
    format!(
        r#""callFrame":{{"functionName":"{name}","scriptId":"1","url":"{url}","lineNumber":{line},"columnNumber":4}}"#
    )
}

/// Options with leakwatch's own code under `/opt/leakwatch/lib/`.
pub(crate) fn opts() -> AllocationOptions {
    AllocationOptions {
        internal_prefixes: vec!["/opt/leakwatch/lib/".into()],
        ..AllocationOptions::default()
    }
}

/// Sites of `profiles` (JSON text, oldest first), as `sites_from_files` ranks them.
pub(crate) fn ranked(
    profiles: &[String],
    opts: &AllocationOptions,
) -> Result<Vec<AllocationSite>, HeapError> {
    let readers = profiles
        .iter()
        .enumerate()
        .map(|(i, p)| (format!("p{i}"), Cursor::new(p.clone().into_bytes())))
        .collect();
    sites_from_readers(readers, opts)
}

/// The growth of the site of the function `name`, if it has one.
pub(crate) fn bytes_of(s: &[AllocationSite], name: &str) -> Option<i64> {
    s.iter().find(|x| x.function_name == name).map(|x| x.bytes)
}

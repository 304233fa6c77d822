//! Fixtures of the allocation tests (tests.rs, tests_inline.rs,
//! tests_cutover.rs, tests_scope.rs): call frames as V8 writes them, the sites
//! ranked from profiles given as JSON text, and suspects and sites to join.

use std::io::Cursor;

use super::{sites_from_readers, AllocationOptions, AllocationSite};
use crate::heap::error::HeapError;
use crate::heap::graph::SourceLocation;
use crate::heap::report::{Report, Summary, Suspect};

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

pub(crate) fn suspect(class: &str, script: Option<&str>) -> Suspect {
    Suspect {
        constructor: class.into(),
        count_delta: 10,
        retained_size_delta: 1 << 20,
        shallow_size_delta: 1 << 19,
        path: "(GC roots) > x".into(),
        location: script.map(|s| SourceLocation {
            script_id: 1,
            script_name: Some(s.into()),
            line: 0,
            column: 0,
        }),
        enclosing_function: None,
        survivors: None,
        counts: vec![1, 2],
        retained_sizes: vec![1, 2],
        score: 1.0,
        allocation: None,
        holder: crate::heap::holder::Holder::unknown(),
        kind: crate::heap::kind::LeakKind::Unknown,
        advice: String::new(),
        raw_path: "(GC roots) > x".into(),
        merged: vec![],
    }
}

pub(crate) fn report(suspects: Vec<Suspect>) -> Report {
    Report {
        suspects,
        summary: Summary {
            mode: "growth".into(),
            snapshots: vec![],
            top_classes: vec![],
            survivors: vec![],
            below_threshold: 0,
            allocation_sites: vec![],
            selection: None,
            profiles: None,
        },
    }
}

pub(crate) fn site_at(name: &str, url: &str, line: i64, bytes: i64) -> AllocationSite {
    AllocationSite {
        function_name: name.into(),
        url: url.into(),
        line,
        column: 2,
        frames: vec![],
        bytes,
        live_bytes: bytes as u64,
        stacks: 1,
        inlined_into: vec![],
        matched_by: None,
    }
}

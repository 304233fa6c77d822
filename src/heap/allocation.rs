//! Allocation sites: which code allocated the memory that grows. V8's
//! sampling heap profiler (`.heapprofile`) records, for a sample of
//! allocations, the call stack that made them, and keeps a sample only while
//! its object lives; so the live sampled bytes of a stack are an estimate of
//! what that code allocated and is still alive. Between two profiles of one
//! process (the profiler running throughout), the growth of a stack's live
//! sampled bytes points at the code that creates the leak; a heap snapshot
//! only says who holds it. Both are joined here: each suspect gets the site
//! whose frames name the suspect's script (or class), and the summary lists
//! the sites that grew most.

mod parse;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt::Write;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use parse::ProfileLimits;
use parse::{FrameTable, Node, NO_PARENT};

use super::error::HeapError;
use super::report::{human_bytes, Report, Suspect};

/// Frames kept per site (leaf first), and the stack depth that tells sites apart.
const SHOWN_FRAMES: usize = 8;
const KEY_FRAMES: usize = 64;
/// Sites listed in the summary.
const MAX_SITES: usize = 10;

/// One call frame of an allocation stack. `line` and `column` are zero-based
/// (V8's), and give the position of the function, not of the allocation; -1
/// when unknown (native and builtin frames).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Frame {
    pub function_name: String,
    pub url: String,
    pub line: i64,
    pub column: i64,
}

/// A stack whose live sampled bytes grew, and the function held responsible.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AllocationSite {
    /// The allocating function: the innermost frame that is neither Node's
    /// own code nor a V8 builtin. Stacks where that frame is leakwatch's own
    /// (its snapshots and profiles) or that have no such frame are left out.
    pub function_name: String,
    pub url: String,
    /// Zero-based, like every position in a report.
    pub line: i64,
    pub column: i64,
    /// The stack, innermost first, at most 8 frames, internal ones included.
    pub frames: Vec<Frame>,
    /// Growth of live sampled bytes between the first and the last profile
    /// (with one profile: its live sampled bytes).
    pub bytes: i64,
    /// Live sampled bytes in the last profile.
    pub live_bytes: u64,
    /// Why a suspect got this site: `script` (a frame runs in the suspect's
    /// script), `class` (a frame is the suspect's constructor) or `window`
    /// (no frame tells; the site that grew most in the same time window).
    /// Absent in the summary's list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched_by: Option<String>,
}

/// Options of [`sites_from_files`].
#[derive(Debug, Clone, Default)]
pub struct AllocationOptions {
    pub limits: ProfileLimits,
    /// URL prefixes of code that is never "the allocating function"
    /// (leakwatch's own files); `node:` URLs and builtins never are.
    pub internal_prefixes: Vec<String>,
}

/// Node's own code and V8's builtins: frames an allocation passes through on
/// its way from the code that asked for it.
fn is_runtime(f: &Frame) -> bool {
    f.url.is_empty() || f.url.starts_with("node:") || f.url.starts_with("internal/")
}

fn is_own(f: &Frame, prefixes: &[String]) -> bool {
    prefixes
        .iter()
        .any(|p| !p.is_empty() && f.url.starts_with(p.as_str()))
}

/// Live sampled bytes per stack (frame ids, leaf first, at most KEY_FRAMES).
fn live_by_stack(nodes: &[Node]) -> HashMap<Vec<u32>, u64> {
    let mut out: HashMap<Vec<u32>, u64> = HashMap::new();
    for n in nodes.iter().filter(|n| n.self_size > 0) {
        let mut key = Vec::new();
        let mut cur = Some(*n);
        while let Some(node) = cur {
            if key.len() >= KEY_FRAMES {
                break;
            }
            key.push(node.frame);
            cur = (node.parent != NO_PARENT)
                .then(|| nodes.get(node.parent as usize).copied())
                .flatten();
        }
        *out.entry(key).or_default() += n.self_size;
    }
    out
}

/// The site of a stack, or None when no application code asked for the
/// memory: only the runtime, or leakwatch itself (its snapshots and profiles,
/// whoever called them).
fn site_of(stack: &[u32], frames: &FrameTable, opts: &AllocationOptions) -> Option<AllocationSite> {
    let resolved: Vec<Frame> = stack
        .iter()
        .filter_map(|&i| frames.frames.get(i as usize).cloned())
        // V8's synthetic "(root)" frame says nothing.
        .filter(|f| f.function_name != "(root)")
        .collect();
    // The innermost frame past the runtime is the code that allocated; when
    // that is leakwatch's own, leakwatch allocated, whoever called it (a user
    // callback that leakwatch runs is innermost itself, so it still counts).
    let culprit = resolved.iter().find(|f| !is_runtime(f))?;
    if is_own(culprit, &opts.internal_prefixes) {
        return None;
    }
    let culprit = culprit.clone();
    Some(AllocationSite {
        function_name: culprit.function_name,
        url: culprit.url,
        line: culprit.line,
        column: culprit.column,
        frames: resolved.into_iter().take(SHOWN_FRAMES).collect(),
        bytes: 0,
        live_bytes: 0,
        matched_by: None,
    })
}

/// Sites ranked by growth of live sampled bytes from the first profile to the
/// last (oldest first). Stacks that did not grow are left out.
pub fn sites_from_files<P: AsRef<Path>>(
    profiles: &[P],
    opts: &AllocationOptions,
) -> Result<Vec<AllocationSite>, HeapError> {
    let mut readers = Vec::with_capacity(profiles.len());
    for p in profiles {
        let p = p.as_ref();
        let file = File::open(p)
            .map_err(|e| HeapError::from_io(&format!("opening {}", p.display()), &e, false))?;
        readers.push((p.display().to_string(), BufReader::new(file)));
    }
    sites_from_readers(readers, opts)
}

/// [`sites_from_files`] over named readers, oldest first.
pub fn sites_from_readers<R: BufRead>(
    profiles: Vec<(String, R)>,
    opts: &AllocationOptions,
) -> Result<Vec<AllocationSite>, HeapError> {
    let n = profiles.len();
    let mut frames = FrameTable::default();
    let mut first: Option<HashMap<Vec<u32>, u64>> = None;
    let mut last = HashMap::new();
    for (i, (name, reader)) in profiles.into_iter().enumerate() {
        let nodes = parse::parse_profile(reader, opts.limits, &mut frames)
            .map_err(|e| HeapError::new(e.kind, format!("{name}: {}", e.message)))?;
        let live = live_by_stack(&nodes);
        if i == 0 && n > 1 {
            first = Some(live);
        } else {
            last = live;
        }
    }
    Ok(rank(&frames, first.as_ref(), &last, opts))
}

fn rank(
    frames: &FrameTable,
    first: Option<&HashMap<Vec<u32>, u64>>,
    last: &HashMap<Vec<u32>, u64>,
    opts: &AllocationOptions,
) -> Vec<AllocationSite> {
    // Stacks that differ only beyond the shown frames are one site to a reader.
    let mut merged: HashMap<(Frame, Vec<Frame>), AllocationSite> = HashMap::new();
    for (stack, &live) in last {
        let before = first.and_then(|f| f.get(stack)).copied().unwrap_or(0);
        let growth = live as i64 - before as i64;
        if growth <= 0 {
            continue;
        }
        let Some(site) = site_of(stack, frames, opts) else {
            continue;
        };
        let culprit = Frame {
            function_name: site.function_name.clone(),
            url: site.url.clone(),
            line: site.line,
            column: site.column,
        };
        let entry = merged.entry((culprit, site.frames.clone())).or_insert(site);
        entry.bytes += growth;
        entry.live_bytes += live;
    }
    let mut sites: Vec<AllocationSite> = merged.into_values().collect();
    sites.sort_by(|a, b| {
        b.bytes
            .cmp(&a.bytes)
            .then_with(|| a.function_name.cmp(&b.function_name))
            .then_with(|| a.url.cmp(&b.url))
    });
    sites
}

fn same_script(url: &str, script: &str) -> bool {
    let strip = |s: &str| s.strip_prefix("file://").unwrap_or(s).to_string();
    !url.is_empty() && strip(url) == strip(script)
}

/// How well a site's frames tell that it made a suspect's objects: 3 when
/// the allocating function is in the script the suspect's closure or holder
/// was defined in, 2 when another frame of the stack is, 1 when a frame is
/// the suspect's constructor, 0 otherwise.
fn affinity(sus: &Suspect, site: &AllocationSite) -> u8 {
    // The holder's script (a module variable's file) first: `location` is
    // only set for a listener, timer callback or capturing closure.
    let script = sus
        .holder
        .script
        .as_deref()
        .or_else(|| sus.location.as_ref().and_then(|l| l.script_name.as_deref()));
    if let Some(script) = script {
        if same_script(&site.url, script) {
            return 3;
        }
        if site.frames.iter().any(|f| same_script(&f.url, script)) {
            return 2;
        }
    }
    let class = sus.constructor.as_str();
    if !class.starts_with('(') && site.frames.iter().any(|f| f.function_name == class) {
        return 1;
    }
    0
}

/// Gives each suspect the growing site its frames tie it to; the top suspect
/// falls back to the site that grew most in the window, marked as such.
pub fn join(report: &mut Report, sites: Vec<AllocationSite>) {
    for (rank, sus) in report.suspects.iter_mut().enumerate() {
        let best = sites
            .iter()
            .map(|s| (affinity(sus, s), s))
            .filter(|(a, _)| *a > 0)
            .max_by(|(a, x), (b, y)| a.cmp(b).then(x.bytes.cmp(&y.bytes)));
        let (site, how) = match best {
            Some((a, s)) if a >= 2 => (Some(s), "script"),
            Some((_, s)) => (Some(s), "class"),
            None if rank == 0 => (sites.first(), "window"),
            None => (None, ""),
        };
        sus.allocation = site.map(|s| AllocationSite {
            matched_by: Some(how.to_string()),
            ..s.clone()
        });
    }
    report.summary.allocation_sites = sites.into_iter().take(MAX_SITES).collect();
}

fn position(f: &Frame) -> String {
    let file = if f.url.is_empty() { "native" } else { &f.url };
    if f.line < 0 {
        return file.to_string();
    }
    format!("{file}:{}:{}", f.line + 1, f.column + 1)
}

fn name(f: &str) -> &str {
    if f.is_empty() {
        "(anonymous)"
    } else {
        f
    }
}

fn culprit_frame(site: &AllocationSite) -> Frame {
    Frame {
        function_name: site.function_name.clone(),
        url: site.url.clone(),
        line: site.line,
        column: site.column,
    }
}

/// The suspect's lines: `allocated by: fn (file:line:col)` and a few frames.
pub fn render_suspect(out: &mut String, sus: &Suspect) {
    let Some(site) = &sus.allocation else {
        return;
    };
    let note = match site.matched_by.as_deref() {
        Some("window") => ", the top growing stack of the same window",
        _ => "",
    };
    let _ = writeln!(
        out,
        "   allocated by: {} ({}), +{} sampled live{note}",
        name(&site.function_name),
        position(&culprit_frame(site)),
        human_bytes(site.bytes)
    );
    let stack: Vec<String> = site
        .frames
        .iter()
        .take(4)
        .map(|f| format!("{} ({})", name(&f.function_name), position(f)))
        .collect();
    if stack.len() > 1 {
        let _ = writeln!(out, "   allocation stack: {}", stack.join(" < "));
    }
}

/// The summary's list of growing allocation sites.
pub fn render_sites(out: &mut String, sites: &[AllocationSite]) {
    if sites.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\nAllocation sites by growth of live sampled bytes (sampling heap profile):"
    );
    for s in sites {
        let _ = writeln!(
            out,
            "  {:>12}  {} ({})",
            format!("+{}", human_bytes(s.bytes)),
            name(&s.function_name),
            position(&culprit_frame(s))
        );
    }
}

/// Reads the profiles (oldest first) and joins their sites to the report.
pub fn attach<P: AsRef<Path>>(
    report: &mut Report,
    profiles: &[P],
    opts: &AllocationOptions,
) -> Result<(), HeapError> {
    if profiles.is_empty() {
        return Ok(());
    }
    let sites = sites_from_files(profiles, opts)?;
    join(report, sites);
    Ok(())
}

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

mod cutover;
#[cfg(test)]
mod fixtures;
mod inline;
mod parse;
mod render;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_cutover;
#[cfg(test)]
mod tests_inline;
#[cfg(test)]
mod tests_scope;

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde::{Deserialize, Serialize};

use cutover::Cutovers;
use inline::FnGrowth;
pub use parse::ProfileLimits;
use parse::{FrameTable, Node, NO_PARENT};
pub use render::{render_sites, render_suspect};

use super::error::HeapError;
use super::report::{Report, Suspect};

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

/// A function whose allocations' live sampled bytes grew, over all the
/// stacks it was reached by.
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
    /// The stack that grew most, innermost first, at most 8 frames, internal
    /// ones included.
    pub frames: Vec<Frame>,
    /// Growth of live sampled bytes between the first and the last profile
    /// (with one profile: its live sampled bytes), summed over every stack
    /// with this allocating function, including what was moved here from
    /// callers it was inlined into.
    pub bytes: i64,
    /// Live sampled bytes in the last profile.
    pub live_bytes: u64,
    /// Distinct stacks (8 frames deep) that reached this function.
    #[serde(default)]
    pub stacks: u32,
    /// Callers this function was inlined into, whose sampled growth was
    /// moved here (`bytes` of each), heaviest first; empty when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inlined_into: Vec<InlinedInto>,
    /// Why a suspect got this site: `encloses` (its function's body holds
    /// the source of the suspect's closures or listeners), `scope` (the
    /// same, named from the closures' scope chain in the snapshot; the
    /// profiler sampled none of its allocations, so `bytes` is 0), `script` (a frame
    /// runs in the suspect's script), `class` (a frame is the suspect's constructor) or `window`
    /// (no frame tells; the site that grew most in the same time window).
    /// Absent in the summary's list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched_by: Option<String>,
}

/// A caller an allocating function was inlined into: V8 charged some of the
/// function's allocations to it (docs/allocation-sites.md, "Inlined callees").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InlinedInto {
    pub function_name: String,
    pub url: String,
    /// Zero-based.
    pub line: i64,
    pub column: i64,
    /// Growth of live sampled bytes moved from the caller to this function.
    pub bytes: i64,
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
pub(super) fn is_runtime(f: &Frame) -> bool {
    f.url.is_empty() || f.url.starts_with("node:") || f.url.starts_with("internal/")
}

pub(super) fn is_own(f: &Frame, prefixes: &[String]) -> bool {
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

/// A stack's allocating function and the stack's frames as shown, plus the
/// next user-code frame outward (the caller it may have been inlined into).
struct StackSite {
    culprit: Frame,
    caller: Option<Frame>,
    frames: Vec<Frame>,
}

/// The site of a stack, or None when no application code asked for the
/// memory: only the runtime, or leakwatch itself (its snapshots and profiles,
/// whoever called them).
fn site_of(stack: &[u32], frames: &FrameTable, opts: &AllocationOptions) -> Option<StackSite> {
    let resolved: Vec<Frame> = stack
        .iter()
        .filter_map(|&i| frames.frames.get(i as usize).cloned())
        // V8's synthetic "(root)" frame says nothing.
        .filter(|f| f.function_name != "(root)")
        .collect();
    // The innermost frame past the runtime is the code that allocated; when
    // that is leakwatch's own, leakwatch allocated, whoever called it (a user
    // callback that leakwatch runs is innermost itself, so it still counts).
    let at = resolved.iter().position(|f| !is_runtime(f))?;
    let culprit = resolved.get(at)?.clone();
    if is_own(&culprit, &opts.internal_prefixes) {
        return None;
    }
    // Nothing is moved into or out of leakwatch's own frames.
    let caller = resolved
        .iter()
        .skip(at + 1)
        .find(|f| !is_runtime(f))
        .filter(|f| !is_own(f, &opts.internal_prefixes) && **f != culprit)
        .cloned();
    Some(StackSite {
        culprit,
        caller,
        frames: resolved.into_iter().take(SHOWN_FRAMES).collect(),
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
    let mut last_profile = None;
    for (i, (name, reader)) in profiles.into_iter().enumerate() {
        let profile = parse::parse_profile(reader, opts.limits, &mut frames)
            .map_err(|e| HeapError::new(e.kind, format!("{name}: {}", e.message)))?;
        let live = live_by_stack(&profile.nodes);
        if i == 0 && n > 1 {
            first = Some(live);
        } else {
            last = live;
            last_profile = Some(profile);
        }
    }
    let cuts = last_profile.map(|p| Cutovers::from_profile(&p, &frames, opts));
    Ok(rank(&frames, first.as_ref(), &last, cuts.as_ref(), opts))
}

/// One function's stacks while ranking: its growth, and the stack that grew
/// most (frames, growth) as its example.
#[derive(Default)]
struct FnStacks {
    growth: FnGrowth,
    example: (Vec<Frame>, i64),
    stacks: HashSet<Vec<Frame>>,
}

fn rank(
    frames: &FrameTable,
    first: Option<&HashMap<Vec<u32>, u64>>,
    last: &HashMap<Vec<u32>, u64>,
    cuts: Option<&Cutovers>,
    opts: &AllocationOptions,
) -> Vec<AllocationSite> {
    let mut fns: HashMap<Frame, FnStacks> = HashMap::new();
    let mut edges = HashSet::new();
    let empty = HashMap::new();
    let first_map = first.unwrap_or(&empty);
    // Every stack of either profile: one that vanished counts as shrinking.
    let all = last
        .keys()
        .chain(first_map.keys().filter(|k| !last.contains_key(*k)));
    for stack in all {
        let Some(site) = site_of(stack, frames, opts) else {
            continue;
        };
        let live = last.get(stack).copied().unwrap_or(0);
        let before = first_map.get(stack).copied().unwrap_or(0);
        let growth = live as i64 - before as i64;
        if let Some(caller) = site.caller {
            edges.insert((caller, site.culprit.clone()));
        }
        let e = fns.entry(site.culprit).or_default();
        e.growth.growth += growth;
        e.growth.first += before;
        e.growth.live += live;
        if growth > e.example.1 || e.example.0.is_empty() {
            e.example = (site.frames.clone(), growth);
        }
        e.stacks.insert(site.frames);
    }
    // With one profile only the samples' ordinals can tell inlined from own.
    let mut growth: HashMap<Frame, FnGrowth> = fns
        .iter_mut()
        .map(|(k, v)| (k.clone(), std::mem::take(&mut v.growth)))
        .collect();
    inline::reattribute(&mut growth, &edges, cuts, first.is_some());
    for (k, g) in growth {
        if let Some(e) = fns.get_mut(&k) {
            e.growth = g;
        }
    }
    let mut sites: Vec<AllocationSite> = fns
        .into_iter()
        .filter(|(_, v)| v.growth.growth > 0)
        .map(|(k, v)| to_site(k, v))
        .collect();
    sites.sort_by(|a, b| {
        b.bytes
            .cmp(&a.bytes)
            .then_with(|| a.function_name.cmp(&b.function_name))
            .then_with(|| a.url.cmp(&b.url))
            .then_with(|| (a.line, a.column).cmp(&(b.line, b.column)))
    });
    sites
}

fn to_site(f: Frame, v: FnStacks) -> AllocationSite {
    let mut inlined_into: Vec<InlinedInto> = v
        .growth
        .inlined_into
        .into_iter()
        .map(|(c, bytes)| InlinedInto {
            function_name: c.function_name,
            url: c.url,
            line: c.line,
            column: c.column,
            bytes,
        })
        .collect();
    inlined_into.sort_by_key(|b| std::cmp::Reverse(b.bytes));
    AllocationSite {
        function_name: f.function_name,
        url: f.url,
        line: f.line,
        column: f.column,
        frames: v.example.0,
        bytes: v.growth.growth,
        live_bytes: v.growth.live,
        stacks: u32::try_from(v.stacks.len()).unwrap_or(u32::MAX),
        inlined_into,
        matched_by: None,
    }
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

/// The site whose function made the suspect's functions (closures,
/// listeners, timer callbacks): a function object is allocated by the
/// function whose body holds its source, so among the sites in the script
/// of the suspect's `location`, the one that starts last at or before that
/// position (a nested function starts after its encloser). Sites give only
/// their function's start, so a growing sibling that starts between the
/// encloser and the closure would be taken; none when no site precedes it.
fn enclosing<'a>(sus: &Suspect, sites: &'a [AllocationSite]) -> Option<&'a AllocationSite> {
    let loc = sus.location.as_ref()?;
    let script = loc.script_name.as_deref()?;
    let at = (i64::from(loc.line), i64::from(loc.column));
    sites
        .iter()
        .filter(|s| same_script(&s.url, script) && (s.line, s.column) < at)
        .max_by_key(|s| (s.line, s.column))
}

fn same_function(site: &Frame, f: &Frame) -> bool {
    same_script(&site.url, &f.url) && site.line == f.line && site.column == f.column
}

/// The site of the function whose calls made the suspect's closures (the
/// snapshot's scope chain, exact): its growing site when sampled; else one
/// named from the snapshot alone, with no sampled bytes and, when a growing
/// stack passed through it, that stack from the function outwards.
fn scope_site(sus: &Suspect, sites: &[AllocationSite]) -> Option<AllocationSite> {
    let f = sus.enclosing_function.as_ref()?;
    if let Some(s) = sites.iter().find(|s| same_function(&culprit_frame(s), f)) {
        return Some(AllocationSite {
            matched_by: Some("encloses".into()),
            ..s.clone()
        });
    }
    let frames = sites
        .iter()
        .find_map(|s| {
            let at = s.frames.iter().position(|x| same_function(x, f))?;
            s.frames.get(at..).map(<[Frame]>::to_vec)
        })
        .unwrap_or_else(|| vec![f.clone()]);
    Some(AllocationSite {
        function_name: f.function_name.clone(),
        url: f.url.clone(),
        line: f.line,
        column: f.column,
        frames,
        bytes: 0,
        live_bytes: 0,
        stacks: 0,
        inlined_into: Vec::new(),
        matched_by: Some("scope".into()),
    })
}

fn culprit_frame(s: &AllocationSite) -> Frame {
    Frame {
        function_name: s.function_name.clone(),
        url: s.url.clone(),
        line: s.line,
        column: s.column,
    }
}

/// Gives each suspect the site of the function that made its closures when
/// the snapshot tells (`scope_site`), else the growing site its frames tie
/// it to (among equally tied sites, one no better-ranked suspect has, then
/// the one that grew most); the top suspect falls back to the site that grew
/// most in the window, marked as such.
pub fn join(report: &mut Report, sites: Vec<AllocationSite>) {
    // Sites already given to a better-ranked suspect come last among equals: two
    // holders in one script are filled by two functions more often than by one
    // (one function filling one holder's two groups is a merged suspect).
    let mut taken: Vec<&AllocationSite> = Vec::new();
    for (rank, sus) in report.suspects.iter_mut().enumerate() {
        if let Some(site) = scope_site(sus, &sites) {
            sus.allocation = Some(site);
            continue;
        }
        let encloser = enclosing(sus, &sites);
        let fresh = |s: &AllocationSite| !taken.iter().any(|t| std::ptr::eq(*t, s));
        let best = sites
            .iter()
            .map(|s| {
                let encloses = encloser.is_some_and(|e| std::ptr::eq(e, s));
                (if encloses { 4 } else { affinity(sus, s) }, s)
            })
            .filter(|(a, _)| *a > 0)
            .max_by(|(a, x), (b, y)| {
                a.cmp(b)
                    .then(fresh(x).cmp(&fresh(y)))
                    .then(x.bytes.cmp(&y.bytes))
            });
        if let Some((_, s)) = best {
            taken.push(s);
        }
        let (site, how) = match best {
            Some((a, s)) if a >= 4 => (Some(s), "encloses"),
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

/// Reads the profiles (oldest first) and joins their sites to the report.
pub fn attach<P: AsRef<Path>>(
    report: &mut Report,
    profiles: &[P],
    opts: &AllocationOptions,
) -> Result<(), HeapError> {
    // Without profiles a suspect can still be given the function that made
    // its closures, from the snapshot alone.
    let sites = if profiles.is_empty() {
        Vec::new()
    } else {
        sites_from_files(profiles, opts)?
    };
    join(report, sites);
    Ok(())
}

//! Callees inlined for good: when a caller F is optimized with its callee G
//! inlined, G stops appearing under F and its allocations are charged to F
//! from then on. Before that moment G was sampled on its own under F. The
//! samples' ordinals (V8 numbers every sample it takes, so they order one
//! session's allocations) show the moment: the last sample of G called by F
//! is the cutover `T`. F's own live samples before `T` against G's give the
//! ratio `r` of F's own allocation to G's while G ran on its own; F's samples
//! after `T` hold both, so `1 / (r + 1)` of them are G's
//! (docs/allocation-sites.md, "Inlined callees").
//!
//! The first-profile rule of inline.rs needs G to keep growing on its own;
//! a callee inlined into its only caller before the window never does, and
//! the report named the caller (measured: the handler `step` instead of
//! `recordRequest` in 7 of 12 benchmark cases with V8's inlining on).
//!
//! What guards it: F must have samples after `T` (else nothing was charged to
//! it); the allocation rate of F and its stopped callees together, in samples
//! per ordinal, must be the same within a factor of [`RATE_BAND`] before and
//! after `T`: inlining moves allocation from one frame to another but keeps
//! its rate, whereas a callee that simply stopped being called (a one-time
//! initialiser) while F began to allocate on its own changes it.

use std::collections::HashMap;

use super::parse::{Node, Profile, NO_PARENT};
use super::{is_own, is_runtime, AllocationOptions, Frame, FrameTable, KEY_FRAMES};

/// How far the allocation rate may change across the cutover and still be
/// read as the same work charged to another frame.
const RATE_BAND: f64 = 4.0;

/// What the last profile's samples say about callers and callees.
#[derive(Debug, Default)]
pub(super) struct Cutovers {
    /// Each function's own live samples (it was the allocating function):
    /// (ordinal, size).
    own: HashMap<Frame, Vec<(u64, u64)>>,
    /// (caller, callee) -> samples where the callee ran called by the caller,
    /// its own callees' included: (ordinal, size).
    edges: HashMap<(Frame, Frame), Vec<(u64, u64)>>,
    /// The first and last ordinals of the session.
    start: u64,
    end: u64,
}

/// F's callees that were sampled under it only part of the time, and what
/// to move.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Cut {
    /// F's own live bytes while its callees were not seen under it.
    pub own_after: u64,
    /// F's own allocation per byte of its callees' while they were seen.
    pub ratio: f64,
    /// The callees with their live bytes under F.
    pub kids: Vec<(Frame, u64)>,
}

/// The runs of a callee's samples (sorted ordinals): consecutive samples no
/// further apart than `reach` make one span, first to last, inclusive.
fn active_spans(ords: &[u64], reach: u64) -> Vec<(u64, u64)> {
    let mut spans: Vec<(u64, u64)> = Vec::new();
    for &o in ords {
        match spans.last_mut() {
            Some(last) if o <= last.1.saturating_add(reach) => last.1 = last.1.max(o),
            _ => spans.push((o, o)),
        }
    }
    spans
}

/// The widest gap within one run of a callee's samples: four times its
/// median gap (a callee is sampled every few ordinals while it runs on its
/// own, then not at all once inlined).
fn reach_of(ords: &[u64]) -> u64 {
    let mut gaps: Vec<u64> = ords
        .windows(2)
        .map(|w| w.get(1).copied().unwrap_or(0) - w.first().copied().unwrap_or(0))
        .collect();
    gaps.sort_unstable();
    gaps.get(gaps.len() / 2)
        .copied()
        .unwrap_or(1)
        .max(1)
        .saturating_mul(4)
}

/// User-code frames of a node's stack, innermost first: runtime frames are
/// skipped, and the chain ends at leakwatch's own frames (nothing moves into
/// or out of them). Empty when the allocating frame is leakwatch's.
fn user_chain(
    nodes: &[Node],
    node: u32,
    frames: &FrameTable,
    opts: &AllocationOptions,
) -> Vec<Frame> {
    let mut chain = Vec::new();
    let mut cur = nodes.get(node as usize);
    let mut depth = 0;
    while let Some(n) = cur {
        if depth >= KEY_FRAMES {
            break;
        }
        depth += 1;
        if let Some(f) = frames.frames.get(n.frame as usize) {
            if f.function_name != "(root)" && !is_runtime(f) {
                if is_own(f, &opts.internal_prefixes) {
                    break;
                }
                if chain.last() != Some(f) {
                    chain.push(f.clone());
                }
            }
        }
        cur = (n.parent != NO_PARENT)
            .then(|| nodes.get(n.parent as usize))
            .flatten();
    }
    chain
}

impl Cutovers {
    /// Reads the last profile's samples (the profiler runs throughout, so it
    /// holds every sample still alive, with its ordinal).
    pub(super) fn from_profile(p: &Profile, frames: &FrameTable, opts: &AllocationOptions) -> Self {
        let mut out = Cutovers {
            start: u64::MAX,
            ..Cutovers::default()
        };
        let mut chains: HashMap<u32, Vec<Frame>> = HashMap::new();
        for s in &p.samples {
            out.start = out.start.min(s.ordinal);
            out.end = out.end.max(s.ordinal);
            let chain = chains
                .entry(s.node)
                .or_insert_with(|| user_chain(&p.nodes, s.node, frames, opts));
            let Some(first) = chain.first() else { continue };
            out.own
                .entry(first.clone())
                .or_default()
                .push((s.ordinal, s.size));
            for pair in chain.windows(2) {
                let (Some(callee), Some(caller)) = (pair.first(), pair.get(1)) else {
                    continue;
                };
                out.edges
                    .entry((caller.clone(), callee.clone()))
                    .or_default()
                    .push((s.ordinal, s.size));
            }
        }
        for v in out.own.values_mut().chain(out.edges.values_mut()) {
            v.sort_unstable();
        }
        out
    }

    /// F's callees among `kids` that were seen under it only part of the
    /// time, while F allocated on its own the rest of the time at the same
    /// rate as F and they did together; or None.
    pub(super) fn cut(&self, f: &Frame, kids: &[Frame]) -> Option<Cut> {
        let own = self.own.get(f)?;
        let seen: Vec<(&Frame, &Vec<(u64, u64)>)> = kids
            .iter()
            .filter_map(|k| self.edges.get(&(f.clone(), k.clone())).map(|e| (k, e)))
            .filter(|(_, e)| !e.is_empty())
            .collect();
        let mut ords: Vec<u64> = seen
            .iter()
            .flat_map(|(_, e)| e.iter().map(|&(o, _)| o))
            .collect();
        ords.sort_unstable();
        let lo = ords
            .first()
            .copied()?
            .min(own.first().map_or(u64::MAX, |&(o, _)| o));
        let spans = active_spans(&ords, reach_of(&ords));
        let inside = |o: u64| spans.iter().any(|&(a, b)| a <= o && o <= b);
        let own_before: u64 = own
            .iter()
            .filter(|&&(o, _)| inside(o))
            .map(|&(_, s)| s)
            .sum();
        let own_after: u64 = own
            .iter()
            .filter(|&&(o, _)| !inside(o))
            .map(|&(_, s)| s)
            .sum();
        let kids_before: u64 = seen
            .iter()
            .flat_map(|(_, e)| e.iter().map(|&(_, s)| s))
            .sum();
        let active: u64 = spans.iter().map(|&(a, b)| b - a + 1).sum();
        let idle = (self.end - lo + 1).saturating_sub(active);
        if own_after == 0 || kids_before == 0 || idle == 0 {
            return None;
        }
        let rate_before = (own_before + kids_before) as f64 / active.max(1) as f64;
        let rate_after = own_after as f64 / idle as f64;
        if rate_after * RATE_BAND < rate_before || rate_after > rate_before * RATE_BAND {
            return None;
        }
        Some(Cut {
            own_after,
            ratio: own_before as f64 / kids_before as f64,
            kids: seen
                .into_iter()
                .map(|(k, e)| (k.clone(), e.iter().map(|&(_, s)| s).sum()))
                .collect(),
        })
    }
}

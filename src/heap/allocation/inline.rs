//! Inlined callees. V8's sampling heap profiler charges an allocation made in
//! optimized code to the outermost function of the optimized frame: once a
//! caller F is optimized with its callee G inlined, G's allocations are
//! charged to F. The profile keeps the tell: G appears as F's callee with live
//! sampled bytes of its own (sampled while F still ran unoptimized), and F's
//! self bytes grow too.
//!
//! The rule (docs/allocation-sites.md, "Inlined callees"): for a function F
//! whose self growth `gF` is positive and whose user-code callees G (seen as
//! the next user-code frame inward from F on some stack) grew `gG` in the
//! window, the first profile gives the ratio `r = fF / fG` of F's own live
//! bytes to its callees' before the window. Allocation rates that keep that
//! ratio are F's own (a callee's figures include its own callees', so a
//! chain A > B > C moves A's excess to B, then B's to C); the excess is what the callees allocated inside F's
//! optimized code: `inlined = (gF - r*gG) / (r + 1)`, shared among the
//! callees by their growth (a callee under a tenth of the callees' growth
//! gets nothing: noise). Nothing is moved without a first profile in which
//! the callees have live bytes, from a function in a call cycle (recursion),
//! or when the excess is under a tenth of F's growth (sampling noise).

use std::collections::{HashMap, HashSet};

use super::cutover::Cutovers;
use super::Frame;

/// Below this share of F's growth, the excess is taken for sampling noise.
const MIN_SHARE: f64 = 0.1;

/// One function's sampled growth, before and after reattribution.
#[derive(Debug, Clone, Default)]
pub(super) struct FnGrowth {
    /// Growth of self live sampled bytes over the window (after moves).
    pub growth: i64,
    /// Self live sampled bytes in the first profile (0 with one profile).
    pub first: u64,
    /// Self live sampled bytes in the last profile (after moves).
    pub live: u64,
    /// Callers whose self growth was moved here, with the bytes moved.
    pub inlined_into: Vec<(Frame, i64)>,
}

/// Callers before callees (Kahn's order); functions on a call cycle, and
/// those only reached through one, are left out: recursion gives no
/// caller/callee direction to trust.
fn topo_order(n: usize, callees: &[Vec<usize>]) -> Vec<usize> {
    let mut indeg = vec![0usize; n];
    for kids in callees {
        for &k in kids {
            if let Some(d) = indeg.get_mut(k) {
                *d += 1;
            }
        }
    }
    let mut queue: Vec<usize> = (0..n).filter(|&i| indeg.get(i) == Some(&0)).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(i) = queue.pop() {
        order.push(i);
        for &k in callees.get(i).map(Vec::as_slice).unwrap_or(&[]) {
            if let Some(d) = indeg.get_mut(k) {
                *d -= 1;
                if *d == 0 {
                    queue.push(k);
                }
            }
        }
    }
    order
}

/// Bytes of F's self growth that its callees allocated inlined, or 0.
fn inlined_bytes(g_f: i64, f_f: u64, g_kids: i64, f_kids: u64) -> i64 {
    if g_f <= 0 || g_kids <= 0 || f_kids == 0 {
        return 0;
    }
    let r = f_f as f64 / f_kids as f64;
    let moved = ((g_f as f64 - r * g_kids as f64) / (r + 1.0)).clamp(0.0, g_f as f64);
    if moved < MIN_SHARE * g_f as f64 {
        return 0;
    }
    moved as i64
}

/// Each function's observed (growth, first-profile bytes) plus its callees',
/// transitively: in a chain A > B > C where C was inlined into B and B into
/// A, B's evidence is what B and C allocated while they ran on their own.
fn with_callees(own: &[(i64, u64)], callees: &[Vec<usize>], order: &[usize]) -> Vec<(i64, u64)> {
    let mut sub = own.to_vec();
    for &f in order.iter().rev() {
        let (mut g, mut b) = seen(own, f);
        for &k in callees.get(f).map(Vec::as_slice).unwrap_or(&[]) {
            let (kg, kb) = seen(&sub, k);
            g = g.saturating_add(kg.max(0));
            b = b.saturating_add(kb);
        }
        if let Some(s) = sub.get_mut(f) {
            *s = (g, b);
        }
    }
    sub
}

/// Observed (growth, first-profile bytes) of function `i`; (0, 0) if unknown.
fn seen(observed: &[(i64, u64)], i: usize) -> (i64, u64) {
    observed.get(i).copied().unwrap_or((0, 0))
}

/// The callees of F that count as evidence: grown, and not a sliver of the
/// callees' growth (noise).
fn evidence(kids: &[usize], observed: &[(i64, u64)]) -> Vec<usize> {
    let grown: i64 = kids.iter().map(|&k| seen(observed, k).0.max(0)).sum();
    kids.iter()
        .copied()
        .filter(|&k| {
            let g = seen(observed, k).0;
            g > 0 && g as f64 >= MIN_SHARE * grown as f64
        })
        .collect()
}

/// Moves `moved` bytes of F's growth to its callees, by their weights;
/// returns what each received.
fn spread(
    state: &mut [FnGrowth],
    keys: &[Frame],
    f: usize,
    kids: &[(usize, i64)],
    moved: i64,
) -> Vec<(usize, i64)> {
    let total: i64 = kids.iter().map(|&(_, w)| w.max(0)).sum();
    let mut given = Vec::new();
    let Some(caller) = keys.get(f) else {
        return given;
    };
    for &(k, w) in kids {
        let share = (moved as i128 * w.max(0) as i128 / total.max(1) as i128) as i64;
        let live = match state.get_mut(f) {
            Some(s) if share > 0 => {
                s.growth -= share;
                let live = s.live.min(share as u64);
                s.live -= live;
                live
            }
            _ => continue,
        };
        if let Some(s) = state.get_mut(k) {
            s.growth += share;
            s.live += live;
            s.inlined_into.push((caller.clone(), share));
            given.push((k, share));
        }
    }
    given
}

/// What F's callees allocated inside F's optimized code, by the cutover
/// rule (cutover.rs) when a callee stopped being sampled under F, else by the
/// first-profile rule; with the callees to give it to, weighted.
fn inlined_for(f: usize, ctx: &Ctx, g_f: i64, inflow: i64) -> Option<(i64, Vec<(usize, i64)>)> {
    let all_kids = ctx.callees.get(f).map(Vec::as_slice).unwrap_or(&[]);
    if let (Some(cuts), Some(frame)) = (ctx.cuts, ctx.keys.get(f)) {
        let kid_frames: Vec<Frame> = all_kids
            .iter()
            .filter_map(|&k| ctx.keys.get(k).cloned())
            .collect();
        if let Some(cut) = cuts.cut(frame, &kid_frames) {
            // F's samples after the cutover, plus what its own callers' code
            // charged to it (moved here earlier in a chain).
            let after = cut.own_after as f64 + inflow.max(0) as f64;
            let moved = (after / (cut.ratio + 1.0)).min(g_f as f64);
            let kids = cut
                .kids
                .iter()
                .filter_map(|(k, b)| {
                    ctx.index
                        .get(k)
                        .map(|&i| (i, i64::try_from(*b).unwrap_or(i64::MAX)))
                })
                .collect();
            return (g_f > 0 && moved >= MIN_SHARE * g_f as f64).then_some((moved as i64, kids));
        }
    }
    if !ctx.first_profile {
        return None;
    }
    let kids = evidence(all_kids, &ctx.observed);
    let g_kids: i64 = kids.iter().map(|&k| seen(&ctx.observed, k).0).sum();
    let f_kids: u64 = kids.iter().map(|&k| seen(&ctx.observed, k).1).sum();
    let moved = inlined_bytes(g_f, seen(&ctx.own, f).1, g_kids, f_kids);
    let weighted = kids
        .iter()
        .map(|&k| (k, seen(&ctx.observed, k).0))
        .collect();
    (moved > 0).then_some((moved, weighted))
}

/// What the rules read: the call graph and what the profiles said.
struct Ctx<'a> {
    keys: &'a [Frame],
    index: HashMap<Frame, usize>,
    callees: Vec<Vec<usize>>,
    own: Vec<(i64, u64)>,
    observed: Vec<(i64, u64)>,
    cuts: Option<&'a Cutovers>,
    first_profile: bool,
}

/// Moves inlined callees' growth from their callers to them, in place.
/// `edges` are (caller, callee) pairs of user-code functions; `cuts` the
/// last profile's samples (cutover rule), `first_profile` whether there was
/// a profile before the window (first-profile rule).
pub(super) fn reattribute(
    fns: &mut HashMap<Frame, FnGrowth>,
    edges: &HashSet<(Frame, Frame)>,
    cuts: Option<&Cutovers>,
    first_profile: bool,
) {
    let mut keys: Vec<Frame> = fns.keys().cloned().collect();
    keys.sort_by(|a, b| {
        (&a.url, a.line, a.column, &a.function_name).cmp(&(
            &b.url,
            b.line,
            b.column,
            &b.function_name,
        ))
    });
    let index: HashMap<Frame, usize> = keys
        .iter()
        .enumerate()
        .map(|(i, f)| (f.clone(), i))
        .collect();
    let mut callees: Vec<Vec<usize>> = vec![Vec::new(); keys.len()];
    for (caller, callee) in edges {
        if let (Some(&c), Some(&g)) = (index.get(caller), index.get(callee)) {
            if let Some(kids) = callees.get_mut(c).filter(|k| c != g && !k.contains(&g)) {
                kids.push(g);
            }
        }
    }
    let mut state: Vec<FnGrowth> = keys
        .iter()
        .map(|k| fns.get(k).cloned().unwrap_or_default())
        .collect();
    // Evidence is what the profiles said, not what earlier moves made of it.
    let order = topo_order(keys.len(), &callees);
    let own: Vec<(i64, u64)> = state.iter().map(|s| (s.growth, s.first)).collect();
    let observed = with_callees(&own, &callees, &order);
    let ctx = Ctx {
        keys: &keys,
        index,
        callees,
        own,
        observed,
        cuts,
        first_profile,
    };
    let mut inflow = vec![0i64; keys.len()];
    for f in order {
        let g_f = state.get(f).map_or(0, |s| s.growth);
        let Some((moved, kids)) = inlined_for(f, &ctx, g_f, inflow.get(f).copied().unwrap_or(0))
        else {
            continue;
        };
        for (k, got) in spread(&mut state, &keys, f, &kids, moved) {
            if let Some(i) = inflow.get_mut(k) {
                *i += got;
            }
        }
    }
    for (k, s) in keys.iter().cloned().zip(state) {
        fns.insert(k, s);
    }
}

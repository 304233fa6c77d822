//! The leak verdict of `measureGrowth`/`assertNoLeak`/`toLeak`: the one place
//! its rules live, pure and cargo-tested. JS only runs the rounds of calls
//! and takes the post-GC samples (lib/growth.js); the statistics are the
//! watchdog's own (`watch::trend`), so both features judge growth alike.
//!
//! A window of samples (cumulative calls, post-GC bytes) says "leak" when all
//! of these hold:
//! - significance: a one-sided Mann-Kendall test finds an increasing trend
//!   with at least the required confidence (1 - p);
//! - size: the Theil-Sen slope exceeds the budget per call, where the budget
//!   is never below [`ROUND_FLOOR_BYTES`] per round of calls (the
//!   measurement's own residue: promise and timer internals, feedback);
//! - persistence: the median growth between consecutive samples exceeds
//!   [`PERSISTENCE`] of the budget, so a staircase of a few warm-up steps
//!   between flat rounds is not a leak;
//! - plateau: when the first window says "leak", the newest full window
//!   (taken after half a window more of calls) must say so too; a cache that
//!   filled and stopped fails it ([`next_step`]).
//!
//! V8's own compilation: while the code under test tiers up (bytecode,
//! baseline, optimized code, with their feedback vectors, maps and
//! deoptimization data), the post-GC heap grows in bursts for thousands of
//! calls (native `fetch`, a watchdog started and stopped: ~100 KiB over 80k
//! calls, then flat). So each sample also carries V8's compiled bytes, and a
//! window is judged twice ([`judge`]): on the post-GC bytes and on the same
//! bytes net of what the compiled ones account for ([`COMPILED_FACTOR`]). Growth that only the first calls a leak is
//! accounted for by compilation ([`Judgement::Compiling`]): a later window is
//! judged instead, while time allows ([`next_step`]), and without one that
//! confirms it, it is no leak. A leak of compiled code itself (a `vm.Script`
//! or `new Function` kept per call) still carries its script, source string,
//! shared function info and closure outside the compiled bytes (~500 B per
//! call measured), so it stays a leak net of them. A leak smaller than the
//! compiling beside it is reported once V8 settles, within the time budget.

use crate::watch::trend;

pub mod error;
pub mod options;

pub use error::GrowthError;

/// Share of the budget the typical round must grow by. A fraction, not all,
/// because leaked Maps and arrays grow their backing stores by doubling:
/// between doublings only the entries grow (about half of the slope).
pub const PERSISTENCE: f64 = 0.25;

/// Bytes per round of calls that never count as a leak.
pub const ROUND_FLOOR_BYTES: f64 = 256.0;

/// The verdict on one window of samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    /// Theil-Sen slope, bytes per call (NaN with fewer than two x values).
    pub slope: f64,
    /// Median growth between consecutive samples, bytes per call.
    pub median_step: f64,
    /// 1 - p of the Mann-Kendall test.
    pub confidence: f64,
    /// One-sided p-value of "no increasing trend".
    pub p: f64,
    /// `confidence` reached the required one.
    pub significant: bool,
    /// Significant, above the budget and persistent.
    pub leaking: bool,
    /// The budget applied, bytes per call.
    pub budget: f64,
}

/// The budget per call: the user's, raised to the round floor for rounds of
/// few calls. `iterations` below 1 counts as 1.
pub fn budget(per_iteration: f64, iterations: f64) -> f64 {
    per_iteration.max(ROUND_FLOOR_BYTES / iterations.max(1.0))
}

/// Median of (y[i] - y[i-1]) / (x[i] - x[i-1]) over steps with distinct x.
pub fn median_step(xs: &[f64], ys: &[f64]) -> f64 {
    let mut steps: Vec<f64> = xs
        .windows(2)
        .zip(ys.windows(2))
        .filter(|(x, _)| x[1] != x[0])
        .map(|(x, y)| (y[1] - y[0]) / (x[1] - x[0]))
        .collect();
    trend::median(&mut steps).unwrap_or(f64::NAN)
}

/// Judges one window: `xs` cumulative calls, `ys` post-GC bytes, in order.
pub fn verdict(xs: &[f64], ys: &[f64], required_confidence: f64, budget: f64) -> Verdict {
    let points: Vec<(f64, f64)> = xs.iter().copied().zip(ys.iter().copied()).collect();
    let slope = trend::theil_sen(&points).map_or(f64::NAN, |(s, _)| s);
    let step = median_step(xs, ys);
    let p = match trend::mann_kendall(ys) {
        Some(mk) if mk.variance > 0.0 => mk.p_increasing,
        _ => 1.0,
    };
    let confidence = 1.0 - p;
    let significant = confidence >= required_confidence;
    Verdict {
        slope,
        median_step: step,
        confidence,
        p,
        significant,
        leaking: significant && slope > budget && step > budget * PERSISTENCE,
        budget,
    }
}

/// What one window says once V8's compiled code is accounted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judgement {
    /// The post-GC bytes do not leak.
    Clean,
    /// The post-GC bytes leak, and so do they net of V8's compiled bytes.
    Leak,
    /// The post-GC bytes leak, but not net of V8's compiled bytes and of
    /// the window's largest single step: V8 was compiling, or lazy one-time
    /// set-up ran once, and that accounts for the growth.
    Compiling,
}

/// A window judged on the post-GC bytes (`raw`) and net of V8's compiled
/// code and bytecode (`net`), whose largest single step is also set apart
/// ([`without_largest_step`]): one-time set-up, not a growth per call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowVerdict {
    pub raw: Verdict,
    pub net: Verdict,
    /// Theil-Sen slope of the compiled bytes, bytes per call (NaN without them).
    pub compiled_slope: f64,
    pub judgement: Judgement,
}

/// Post-GC bytes set apart per byte of V8's compiled code and bytecode (with
/// metadata) that a window gained: the compiled bytes themselves and as much
/// again for what V8 allocates beside them and does not count as code
/// (feedback vectors, maps, deoptimization data, inline-cache state). Over
/// windows where only V8 was compiling, the post-GC bytes (code spaces
/// excluded) grew by at most 1.7 times the compiled bytes (native `fetch` on
/// Node 20 between its 1,000th and 2,500th calls; a watchdog started and
/// stopped: 1.05). A leak of compiled code keeps its script, source, shared
/// function info and closure outside the count: ~650 B per call for ~150 B
/// of code and bytecode, still ~350 B net.
pub const COMPILED_FACTOR: f64 = 2.0;

/// Judges one window: `xs` cumulative calls, `ys` post-GC bytes (code spaces
/// excluded), `compiled` V8's code and bytecode with their metadata
/// (`v8.getHeapCodeStatistics()`), all taken at the same moments; `net` is
/// judged on `ys` less [`COMPILED_FACTOR`] times `compiled`. Without a
/// compiled reading per sample, `net` is `raw`.
pub fn judge(
    xs: &[f64],
    ys: &[f64],
    compiled: &[f64],
    required_confidence: f64,
    budget: f64,
) -> WindowVerdict {
    let raw = verdict(xs, ys, required_confidence, budget);
    let (net, compiled_slope) = if compiled.len() == ys.len() && !compiled.is_empty() {
        let net_ys: Vec<f64> = ys
            .iter()
            .zip(compiled)
            .map(|(y, c)| y - COMPILED_FACTOR * c)
            .collect();
        let points: Vec<(f64, f64)> = xs.iter().copied().zip(compiled.iter().copied()).collect();
        let slope = trend::theil_sen(&points).map_or(f64::NAN, |(s, _)| s);
        let net_ys = without_largest_step(xs, &net_ys);
        (verdict(xs, &net_ys, required_confidence, budget), slope)
    } else {
        (raw, f64::NAN)
    };
    let judgement = match (raw.leaking, net.leaking) {
        (false, _) => Judgement::Clean,
        (true, true) => Judgement::Leak,
        (true, false) => Judgement::Compiling,
    };
    WindowVerdict {
        raw,
        net,
        compiled_slope,
        judgement,
    }
}

/// `ys` with its largest step per call between consecutive samples replaced
/// by the median one (the samples after it shifted down by the difference).
///
/// One-time set-up that happens once inside the rounds is one step: under
/// load, native `fetch` on Node 24 and 26 gained 40-77 KiB between two rounds
/// after its 1,000th-2,000th call (with V8's compiled bytes flat or falling),
/// a lone jump that, beside V8's compiling, read as a leak of 100-200 B per
/// call. A leak grows in every round, so one step fewer leaves it a leak
/// (a Map's table doubling is such a step; its entries grow between). With
/// fewer than three steps, `ys` is returned as is.
pub fn without_largest_step(xs: &[f64], ys: &[f64]) -> Vec<f64> {
    let mut out = ys.to_vec();
    // (index of the sample after the step, bytes per call, calls)
    let steps: Vec<(usize, f64, f64)> = xs
        .windows(2)
        .zip(ys.windows(2))
        .enumerate()
        .filter_map(|(i, pair)| match pair {
            (&[x0, x1], &[y0, y1]) if x1 != x0 => Some((i + 1, (y1 - y0) / (x1 - x0), x1 - x0)),
            _ => None,
        })
        .filter(|s| s.1.is_finite())
        .collect();
    if steps.len() < 3 {
        return out;
    }
    let mut rates: Vec<f64> = steps.iter().map(|s| s.1).collect();
    let Some(median) = trend::median(&mut rates) else {
        return out;
    };
    if let Some(&(k, rate, calls)) = steps.iter().max_by(|a, b| a.1.total_cmp(&b.1)) {
        let excess = (rate - median) * calls;
        if excess > 0.0 {
            out.iter_mut().skip(k).for_each(|y| *y -= excess);
        }
    }
    out
}

/// Half-windows of calls that may follow the first window to find one that
/// V8's compiling does not account for: the plateau check, then up to two
/// more full windows. Every look is one more chance for noise to pass the
/// test, so they are few.
pub const MAX_EXTENSIONS: u32 = 4;

/// What the measurement does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Leak,
    NoLeak,
    /// Run half a window more of calls and judge the newest full window.
    Extend,
}

/// The decision after the first window (`newest` None, `previous` the first
/// window's judgement) or after `extensions` half-windows more (`newest` the
/// newest full window's judgement, `previous` the one judged before it).
/// `time_left`: another half-window fits the time budget.
///
/// A first "leak" is always checked on a later window (the plateau rule).
/// A later window decides: "clean" stands, and "leak" stands when the window
/// before it said "leak" too. A "leak" right after growth that V8's compiling
/// or one step accounted for is checked on one more window while time and
/// the extension count allow: lazy one-time set-up can outlast the warm-up
/// and end a few rounds later (native `fetch` under load on Node 26 grew
/// ~100 B per call for ~500 calls after its 2,000th), a leak goes on.
/// Without time, it stands. Growth that V8's compiling accounts for waits
/// for a later window likewise, and is no leak without one.
pub fn next_step(
    previous: Judgement,
    newest: Option<Judgement>,
    extensions: u32,
    time_left: bool,
) -> Step {
    let may_extend = time_left && extensions < MAX_EXTENSIONS;
    match (previous, newest) {
        (Judgement::Clean, None) => Step::NoLeak,
        (Judgement::Leak, None) => Step::Extend,
        (Judgement::Compiling, None) => wait_or(may_extend),
        (Judgement::Leak, Some(Judgement::Leak)) => Step::Leak,
        (_, Some(Judgement::Leak)) if may_extend => Step::Extend,
        (_, Some(Judgement::Leak)) => Step::Leak,
        (_, Some(Judgement::Clean)) => Step::NoLeak,
        (_, Some(Judgement::Compiling)) => wait_or(may_extend),
    }
}

fn wait_or(may_extend: bool) -> Step {
    if may_extend {
        Step::Extend
    } else {
        Step::NoLeak
    }
}

#[cfg(test)]
mod tests;

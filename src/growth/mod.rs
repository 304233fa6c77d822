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
//!   filled and stopped fails it ([`plateau_overrules`]).

use crate::watch::trend;

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

/// The plateau rule: whether the newest window's verdict replaces the first
/// one's. A first "leak" stands only if the newest window agrees.
pub fn plateau_overrules(first_leaking: bool, recent_leaking: bool) -> bool {
    first_leaking && !recent_leaking
}

#[cfg(test)]
mod tests;

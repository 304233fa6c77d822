//! The watchdog's trend statistics for `measureGrowth` (lib/growth-stats.js),
//! so the Jest assertions and the watchdog judge growth with one implementation.

use napi_derive::napi;

use crate::growth;
use crate::watch::trend;

/// Mann-Kendall test for an increasing trend.
#[napi(object)]
pub struct MannKendallResult {
    /// Concordant minus discordant pairs.
    pub s: f64,
    /// Variance of `s` under "no trend", corrected for ties.
    pub variance: f64,
    /// Normal score with continuity correction.
    pub z: f64,
    /// One-sided p-value of "no trend" against "increasing".
    pub p: f64,
}

/// Theil-Sen slope of `ys` over `xs` (the median of pairwise slopes); NaN when
/// fewer than two points have distinct x.
#[napi]
pub fn theil_sen(xs: Vec<f64>, ys: Vec<f64>) -> f64 {
    let points: Vec<(f64, f64)> = xs.into_iter().zip(ys).collect();
    trend::theil_sen(&points).map_or(f64::NAN, |(slope, _)| slope)
}

/// One-sided Mann-Kendall test on `ys` in sample order; fewer than three
/// readings carry no evidence (p = 1).
#[napi]
pub fn mann_kendall(ys: Vec<f64>) -> MannKendallResult {
    match trend::mann_kendall(&ys) {
        Some(mk) if mk.variance > 0.0 => MannKendallResult {
            s: mk.s,
            variance: mk.variance,
            z: mk.z,
            p: mk.p_increasing,
        },
        other => MannKendallResult {
            s: other.map_or(0.0, |mk| mk.s),
            variance: other.map_or(0.0, |mk| mk.variance),
            z: 0.0,
            p: 1.0,
        },
    }
}

/// Median of the values; NaN when empty.
#[napi]
pub fn median(values: Vec<f64>) -> f64 {
    let mut v = values;
    trend::median(&mut v).unwrap_or(f64::NAN)
}

/// The leak verdict of one window of `measureGrowth` samples (see
/// `crate::growth`).
#[napi(object)]
pub struct GrowthVerdict {
    /// Theil-Sen slope, bytes per call.
    pub slope: f64,
    /// Median growth between consecutive samples, bytes per call.
    pub median_step: f64,
    /// 1 - p of the Mann-Kendall test.
    pub confidence: f64,
    /// One-sided p-value of "no increasing trend".
    pub p: f64,
    /// The confidence reached the required one.
    pub significant: bool,
    /// Significant, above the budget and persistent.
    pub leaking: bool,
    /// The budget applied (the user's, raised to the round floor), bytes per call.
    pub budget: f64,
}

impl From<growth::Verdict> for GrowthVerdict {
    fn from(v: growth::Verdict) -> Self {
        GrowthVerdict {
            slope: v.slope,
            median_step: v.median_step,
            confidence: v.confidence,
            p: v.p,
            significant: v.significant,
            leaking: v.leaking,
            budget: v.budget,
        }
    }
}

/// Judges one window: `xs` cumulative calls, `ys` post-GC bytes; the budget
/// is `budgetBytesPerIteration` raised to the round floor for `iterations`
/// calls per round.
#[napi]
pub fn growth_verdict(
    xs: Vec<f64>,
    ys: Vec<f64>,
    confidence: f64,
    budget_bytes_per_iteration: f64,
    iterations: f64,
) -> GrowthVerdict {
    let budget = growth::budget(budget_bytes_per_iteration, iterations);
    growth::verdict(&xs, &ys, confidence, budget).into()
}

/// The plateau rule: whether the newest window's verdict replaces the first's.
#[napi]
pub fn growth_plateau_overrules(first_leaking: bool, recent_leaking: bool) -> bool {
    growth::plateau_overrules(first_leaking, recent_leaking)
}

//! The watchdog's trend statistics for `measureGrowth` (lib/growth-stats.js),
//! so the Jest assertions and the watchdog judge growth with one implementation.

use napi_derive::napi;

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

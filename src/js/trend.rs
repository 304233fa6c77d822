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

/// One window judged on the post-GC bytes and net of V8's compiled bytes.
#[napi(object)]
pub struct GrowthWindow {
    /// On the post-GC bytes.
    pub raw: GrowthVerdict,
    /// On the post-GC bytes minus V8's compiled code and bytecode.
    pub net: GrowthVerdict,
    /// Theil-Sen slope of V8's compiled bytes, bytes per call (NaN without them).
    pub compiled_slope: f64,
    /// 'clean', 'leak' or 'compiling' (V8's compiling accounts for the growth).
    pub judgement: String,
}

fn judgement_name(j: growth::Judgement) -> &'static str {
    match j {
        growth::Judgement::Clean => "clean",
        growth::Judgement::Leak => "leak",
        growth::Judgement::Compiling => "compiling",
    }
}

fn judgement_of(name: &str) -> Option<growth::Judgement> {
    match name {
        "clean" => Some(growth::Judgement::Clean),
        "leak" => Some(growth::Judgement::Leak),
        "compiling" => Some(growth::Judgement::Compiling),
        _ => None,
    }
}

/// Judges one window: `xs` cumulative calls, `ys` post-GC bytes, `compiled`
/// V8's compiled bytes per sample (empty: unknown); the budget is
/// `budgetBytesPerIteration` raised to the round floor for `iterations`
/// calls per round.
#[napi]
pub fn growth_window(
    xs: Vec<f64>,
    ys: Vec<f64>,
    compiled: Vec<f64>,
    confidence: f64,
    budget_bytes_per_iteration: f64,
    iterations: f64,
) -> GrowthWindow {
    let budget = growth::budget(budget_bytes_per_iteration, iterations);
    let w = growth::judge(&xs, &ys, &compiled, confidence, budget);
    GrowthWindow {
        raw: w.raw.into(),
        net: w.net.into(),
        compiled_slope: w.compiled_slope,
        judgement: judgement_name(w.judgement).to_string(),
    }
}

/// The next step of a measurement: 'leak', 'no-leak' or 'extend' (half a
/// window more). `previous` and `newest` are judgements ('clean', 'leak',
/// 'compiling'): the newest window's and the one judged before it (after the
/// first window, `previous` is the first window's and `newest` null). An
/// unknown name counts as 'clean'.
#[napi]
pub fn growth_next_step(
    previous: String,
    newest: Option<String>,
    extensions: u32,
    time_left: bool,
) -> &'static str {
    let previous = judgement_of(&previous).unwrap_or(growth::Judgement::Clean);
    let newest = newest.map(|n| judgement_of(&n).unwrap_or(growth::Judgement::Clean));
    match growth::next_step(previous, newest, extensions, time_left) {
        growth::Step::Leak => "leak",
        growth::Step::NoLeak => "no-leak",
        growth::Step::Extend => "extend",
    }
}

/// Most half-windows a measurement may add after its first window
/// (`growth::MAX_EXTENSIONS`): JS preallocates its samples for them.
#[napi]
pub fn growth_max_extensions() -> u32 {
    growth::MAX_EXTENSIONS
}

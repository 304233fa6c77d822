//! The options of `measureGrowth`/`assertNoLeak`/`toLeak`: the one place
//! their defaults and ranges live.
//!
//! lib/growth.js reads this schema through the binding to know the names and
//! JS types, and hands the values here to be checked and completed with
//! defaults. The README's option table and lib/growth.d.ts are tested against
//! it (__test__/growth-options.test.js).

use super::error::GrowthError;
use crate::range::{OutOfRange, Range, MAX_TIMER_MS};
use crate::watch::trend;

/// A numeric option.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NumberSpec {
    pub name: &'static str,
    /// `None`: chosen by the measurement when left out (see the README).
    pub default: Option<f64>,
    pub range: Range,
}

/// Calls per round; left out, chosen so that a round takes about 100 ms.
pub const ITERATIONS: NumberSpec = NumberSpec {
    name: "iterations",
    default: None,
    range: Range::integers(1.0, 1e8),
};
/// Fewer than 3 samples carry no trend (Mann-Kendall needs 3).
pub const ROUNDS: NumberSpec = NumberSpec {
    name: "rounds",
    default: Some(10.0),
    range: Range::integers(3.0, 10_000.0),
};
/// From bench/assert.js (bench/results/assert.json): clean functions stay
/// under ~10 B per call (a watchdog started and stopped, V8 still compiling
/// it; native fetch's larger growth is V8's compiling, set apart by the
/// verdict). The smallest leak of the corpus, a Map keyed by one small object
/// per call, grows 32 B per call between the doublings of its table
/// (Theil-Sen sees that rate; a window may hold no doubling): the budget must
/// be below it, and 24 B leaves both sides a margin.
pub const BUDGET: NumberSpec = NumberSpec {
    name: "budgetBytesPerIteration",
    default: Some(24.0),
    range: Range::at_least(0.0),
};
/// A one-sided test: 0.5 or less would call a flat heap growing.
pub const CONFIDENCE: NumberSpec = NumberSpec {
    name: "confidence",
    default: Some(0.99),
    range: Range::between(0.5, false, 1.0, false),
};
/// Calls before measuring; left out, a time-based warm-up that runs on
/// while V8 still compiles the code under test.
pub const WARMUP: NumberSpec = NumberSpec {
    name: "warmup",
    default: None,
    range: Range::integers(0.0, 1e9),
};
pub const TIMEOUT_MS: NumberSpec = NumberSpec {
    name: "timeoutMs",
    default: Some(30_000.0),
    range: Range::integers(1.0, MAX_TIMER_MS),
};

/// Every option, in the order they are documented.
pub const NUMBERS: [NumberSpec; 6] = [ITERATIONS, ROUNDS, BUDGET, CONFIDENCE, WARMUP, TIMEOUT_MS];

/// The options as given, each `None` when left out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GivenOptions {
    pub iterations: Option<f64>,
    pub rounds: Option<f64>,
    pub budget_bytes_per_iteration: Option<f64>,
    pub confidence: Option<f64>,
    pub warmup: Option<f64>,
    pub timeout_ms: Option<f64>,
}

/// The options checked and completed with their defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GrowthOptions {
    /// `None`: chosen by the measurement.
    pub iterations: Option<u32>,
    pub rounds: u32,
    pub budget_bytes_per_iteration: f64,
    pub confidence: f64,
    /// `None`: the time-based warm-up.
    pub warmup: Option<u32>,
    pub timeout_ms: u32,
}

/// The one point where a number out of its range becomes this core's error.
impl From<OutOfRange> for GrowthError {
    fn from(e: OutOfRange) -> Self {
        GrowthError::invalid_option(&e.name, &e.why)
    }
}

impl NumberSpec {
    /// The value given, checked, else the default (`None` when there is none).
    fn value(&self, given: Option<f64>) -> Result<Option<f64>, GrowthError> {
        match given {
            Some(v) => Ok(Some(self.range.check(self.name, v)?)),
            None => Ok(self.default),
        }
    }

    /// Like [`value`](Self::value), for a spec that has a default.
    fn value_or_default(&self, given: Option<f64>) -> Result<f64, GrowthError> {
        self.value(given)?
            .ok_or_else(|| GrowthError::invalid_option(self.name, "required"))
    }
}

/// An integer option's value as `u32`: every integer range here is within
/// `[0, 2^31 - 1]`, so the cast is exact.
fn whole(v: f64) -> u32 {
    v as u32
}

/// The best confidence a Mann-Kendall test can reach on `samples` strictly
/// increasing samples.
pub fn max_confidence(samples: u32) -> f64 {
    let ys: Vec<f64> = (0..samples).map(f64::from).collect();
    trend::mann_kendall(&ys).map_or(0.0, |mk| 1.0 - mk.p_increasing)
}

/// Checks the options given against the schema and fills in the defaults.
/// Also refuses `rounds` too few to ever reach `confidence`: a leak could
/// then never be reported, and a test would pass for nothing.
pub fn resolve(given: &GivenOptions) -> Result<GrowthOptions, GrowthError> {
    let o = GrowthOptions {
        iterations: ITERATIONS.value(given.iterations)?.map(whole),
        rounds: whole(ROUNDS.value_or_default(given.rounds)?),
        budget_bytes_per_iteration: BUDGET.value_or_default(given.budget_bytes_per_iteration)?,
        confidence: CONFIDENCE.value_or_default(given.confidence)?,
        warmup: WARMUP.value(given.warmup)?.map(whole),
        timeout_ms: whole(TIMEOUT_MS.value_or_default(given.timeout_ms)?),
    };
    // One sample before the rounds, one after each.
    let reachable = max_confidence(o.rounds + 1);
    if reachable < o.confidence {
        return Err(GrowthError::invalid_option(
            ROUNDS.name,
            &format!(
                "{} rounds can reach a confidence of at most {reachable:.4}, below confidence {}",
                o.rounds, o.confidence
            ),
        ));
    }
    Ok(o)
}

#[cfg(test)]
#[path = "options_tests.rs"]
mod tests;

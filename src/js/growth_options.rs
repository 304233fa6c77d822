//! Glue for the growth option schema (src/growth/options.rs): the schema, for
//! lib/growth.js to know names and JS types, and the check that completes the
//! options given with their defaults.

use napi::bindgen_prelude::Result;
use napi_derive::napi;

use super::error::{map_error, Code};
use super::range::OptionNumberSpec;
use crate::growth::options::{self, GivenOptions, GrowthOptions};

/// The options of `measureGrowth()`, each absent when not given.
#[napi(object)]
pub struct GrowthOptionValues {
    pub iterations: Option<f64>,
    pub rounds: Option<f64>,
    pub budget_bytes_per_iteration: Option<f64>,
    pub confidence: Option<f64>,
    pub warmup: Option<f64>,
    pub timeout_ms: Option<f64>,
}

/// The same options, checked and completed with their defaults.
#[napi(object)]
pub struct ResolvedGrowthOptions {
    /// Calls per round; absent: chosen by the measurement.
    pub iterations: Option<u32>,
    pub rounds: u32,
    /// Bytes per call.
    pub budget_bytes_per_iteration: f64,
    pub confidence: f64,
    /// Calls before measuring; absent: the time-based warm-up.
    pub warmup: Option<u32>,
    pub timeout_ms: u32,
}

/// Every option of `measureGrowth()`.
#[napi(object)]
pub struct GrowthOptionSchema {
    pub numbers: Vec<OptionNumberSpec>,
}

fn resolved(o: GrowthOptions) -> ResolvedGrowthOptions {
    ResolvedGrowthOptions {
        iterations: o.iterations,
        rounds: o.rounds,
        budget_bytes_per_iteration: o.budget_bytes_per_iteration,
        confidence: o.confidence,
        warmup: o.warmup,
        timeout_ms: o.timeout_ms,
    }
}

/// Checks the options given against the schema and fills in the defaults.
/// Throws ERR_LEAKWATCH_INVALID_OPTION naming the first option refused.
#[napi]
pub fn growth_options(given: GrowthOptionValues) -> Result<ResolvedGrowthOptions, Code> {
    let given = GivenOptions {
        iterations: given.iterations,
        rounds: given.rounds,
        budget_bytes_per_iteration: given.budget_bytes_per_iteration,
        confidence: given.confidence,
        warmup: given.warmup,
        timeout_ms: given.timeout_ms,
    };
    options::resolve(&given).map(resolved).map_err(map_error)
}

/// The schema `growthOptions` checks against.
#[napi]
pub fn growth_option_schema() -> GrowthOptionSchema {
    GrowthOptionSchema {
        numbers: options::NUMBERS
            .iter()
            .map(|s| OptionNumberSpec::new(s.name, s.default, s.range, s.range.to_string()))
            .collect(),
    }
}

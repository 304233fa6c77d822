//! Glue for the analyzer's option schema (src/heap/options.rs): the schema,
//! for lib/analyze.js to know names and JS types, and the check that
//! completes the options given with their defaults.

use napi::bindgen_prelude::Result;
use napi_derive::napi;

use super::error::{map_error, Code};
use super::range::OptionNumberSpec;
use crate::heap::options::{self, GivenOptions, Resolved};

/// The options of `analyze()`, each absent when not given (`profiles`: also
/// when `false`).
#[napi(object)]
pub struct AnalyzeOptionValues {
    pub min_retained_delta: Option<f64>,
    pub min_count_delta: Option<f64>,
    pub max_suspects: Option<f64>,
    pub top_classes: Option<f64>,
    pub single_suspects: Option<bool>,
    pub profiles: Option<Vec<String>>,
}

/// The same options, checked and completed with their defaults.
#[napi(object)]
pub struct ResolvedAnalyzeOptions {
    /// Bytes.
    pub min_retained_delta: f64,
    pub min_count_delta: f64,
    pub max_suspects: f64,
    pub top_classes: f64,
    pub single_suspects: bool,
    /// Absent: the `.heapprofile` beside each snapshot, where present.
    pub profiles: Option<Vec<String>>,
}

/// One boolean option.
#[napi(object)]
pub struct AnalyzeBooleanSpec {
    pub name: String,
    pub default: bool,
}

/// Every option of `analyze()`.
#[napi(object)]
pub struct AnalyzeOptionSchema {
    pub numbers: Vec<OptionNumberSpec>,
    pub booleans: Vec<AnalyzeBooleanSpec>,
    pub profiles: String,
    pub max_profiles: u32,
}

/// The values JS gives, as the core takes them.
pub fn given(v: AnalyzeOptionValues) -> GivenOptions {
    GivenOptions {
        min_retained_delta: v.min_retained_delta,
        min_count_delta: v.min_count_delta,
        max_suspects: v.max_suspects,
        top_classes: v.top_classes,
        single_suspects: v.single_suspects,
        profiles: v.profiles,
    }
}

fn resolved(r: Resolved) -> ResolvedAnalyzeOptions {
    // Integers within 2^53 - 1 by the schema: exact as JS numbers.
    ResolvedAnalyzeOptions {
        min_retained_delta: r.min_retained_delta as f64,
        min_count_delta: r.min_count_delta as f64,
        max_suspects: r.max_suspects as f64,
        top_classes: r.top_classes as f64,
        single_suspects: r.single_suspects,
        profiles: r.profiles,
    }
}

/// Checks the options given against the schema and fills in the defaults.
/// Throws ERR_LEAKWATCH_INVALID_OPTION naming the first option refused.
#[napi]
pub fn analyze_options(given_values: AnalyzeOptionValues) -> Result<ResolvedAnalyzeOptions, Code> {
    options::resolve(&given(given_values))
        .map(resolved)
        .map_err(map_error)
}

/// The schema `analyzeOptions` checks against.
#[napi]
pub fn analyze_option_schema() -> AnalyzeOptionSchema {
    AnalyzeOptionSchema {
        numbers: options::NUMBERS
            .iter()
            .map(|s| OptionNumberSpec::new(s.name, Some(s.default), s.range, s.range.to_string()))
            .collect(),
        booleans: options::BOOLEANS
            .iter()
            .map(|s| AnalyzeBooleanSpec {
                name: s.name.to_string(),
                default: s.default,
            })
            .collect(),
        profiles: options::PROFILES.to_string(),
        max_profiles: options::MAX_PROFILES as u32,
    }
}

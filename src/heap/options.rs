//! The options of `analyze()` and `leakwatch analyze`: the one place their
//! defaults and ranges live.
//!
//! lib/analyze.js reads this schema through the binding to know the names and
//! JS types, and hands the values here to be checked and completed with
//! defaults; `analyzeSnapshots` checks what it is given against the same
//! specs, so nothing past this module clamps or ignores a value. The README
//! and lib/analyze.d.ts are tested against it (__test__/analyze-options.test.js).

use super::error::{HeapError, HeapErrorKind};
use super::AnalyzeOptions;
use crate::range::{OutOfRange, Range, MAX_SAFE_INTEGER};

/// A numeric option: an integer in `[0, 2^53 - 1]` by every range here, so a
/// checked value is exact as a `u64`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NumberSpec {
    pub name: &'static str,
    pub default: f64,
    pub range: Range,
}

/// Bytes a place in the heap must grow by, retained, to be a suspect: 256 KiB
/// keeps a warm cache or a pool's slack out of the report.
pub const MIN_RETAINED_DELTA: NumberSpec = NumberSpec {
    name: "minRetainedDelta",
    default: 262_144.0,
    range: Range::integers(0.0, MAX_SAFE_INTEGER),
};
/// Objects a place must gain at every step, in total, to be a suspect even
/// under `minRetainedDelta` (small objects that multiply); 0: off.
pub const MIN_COUNT_DELTA: NumberSpec = NumberSpec {
    name: "minCountDelta",
    default: 1000.0,
    range: Range::integers(0.0, MAX_SAFE_INTEGER),
};
pub const MAX_SUSPECTS: NumberSpec = NumberSpec {
    name: "maxSuspects",
    default: 10.0,
    range: Range::integers(0.0, 4_294_967_295.0),
};
pub const TOP_CLASSES: NumberSpec = NumberSpec {
    name: "topClasses",
    default: 15.0,
    range: Range::integers(0.0, 4_294_967_295.0),
};

/// The numeric options, in the order they are documented.
pub const NUMBERS: [NumberSpec; 4] = [
    MIN_RETAINED_DELTA,
    MIN_COUNT_DELTA,
    MAX_SUSPECTS,
    TOP_CLASSES,
];

/// A boolean option.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoolSpec {
    pub name: &'static str,
    pub default: bool,
}
/// With one snapshot, also report the biggest groups of alike objects.
pub const SINGLE_SUSPECTS: BoolSpec = BoolSpec {
    name: "singleSuspects",
    default: false,
};
pub const BOOLEANS: [BoolSpec; 1] = [SINGLE_SUSPECTS];

/// Sampling heap profiles of the same window, oldest first.
pub const PROFILES: &str = "profiles";
/// One per analysed snapshot, at most.
pub const MAX_PROFILES: usize = 3;

/// The options as given, each `None` when left out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GivenOptions {
    pub min_retained_delta: Option<f64>,
    pub min_count_delta: Option<f64>,
    pub max_suspects: Option<f64>,
    pub top_classes: Option<f64>,
    pub single_suspects: Option<bool>,
    /// Paths; `None` when left out or `false`.
    pub profiles: Option<Vec<String>>,
}

/// The options checked and completed with their defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub min_retained_delta: u64,
    pub min_count_delta: u64,
    pub max_suspects: u64,
    pub top_classes: u64,
    pub single_suspects: bool,
    pub profiles: Option<Vec<String>>,
}

fn invalid(name: &str, why: &str) -> HeapError {
    HeapError::new(
        HeapErrorKind::InvalidOption,
        format!("invalid option {name}: {why}"),
    )
}

/// The one point where a number out of its range becomes this core's error.
impl From<OutOfRange> for HeapError {
    fn from(e: OutOfRange) -> Self {
        invalid(&e.name, &e.why)
    }
}

impl NumberSpec {
    /// The value given, checked, else the default; exact as a `u64` (see
    /// [`NumberSpec`]).
    fn value(&self, given: Option<f64>) -> Result<u64, HeapError> {
        Ok(given.map_or(Ok(self.default), |v| self.range.check(self.name, v))? as u64)
    }
}

/// `profiles`: at most [`MAX_PROFILES`] paths, none empty.
fn check_profiles(profiles: &[String]) -> Result<(), HeapError> {
    if profiles.len() > MAX_PROFILES {
        return Err(invalid(
            PROFILES,
            &format!(
                "expected at most {MAX_PROFILES} .heapprofile paths, oldest first, got {}",
                profiles.len()
            ),
        ));
    }
    if profiles.iter().any(|p| p.is_empty()) {
        return Err(invalid(PROFILES, "expected non-empty paths, got \"\""));
    }
    Ok(())
}

/// Checks the options given against the schema and fills in the defaults.
pub fn resolve(given: &GivenOptions) -> Result<Resolved, HeapError> {
    if let Some(p) = &given.profiles {
        check_profiles(p)?;
    }
    Ok(Resolved {
        min_retained_delta: MIN_RETAINED_DELTA.value(given.min_retained_delta)?,
        min_count_delta: MIN_COUNT_DELTA.value(given.min_count_delta)?,
        max_suspects: MAX_SUSPECTS.value(given.max_suspects)?,
        top_classes: TOP_CLASSES.value(given.top_classes)?,
        single_suspects: given.single_suspects.unwrap_or(SINGLE_SUSPECTS.default),
        profiles: given.profiles.clone(),
    })
}

impl Resolved {
    /// The analyzer's options with these thresholds; the rest at their defaults.
    pub fn analyze_options(&self) -> AnalyzeOptions {
        let mut o = AnalyzeOptions::default();
        o.diff.min_retained_delta = self.min_retained_delta;
        o.diff.min_count_delta = self.min_count_delta;
        o.diff.max_suspects = usize::try_from(self.max_suspects).unwrap_or(usize::MAX);
        o.top_classes = usize::try_from(self.top_classes).unwrap_or(usize::MAX);
        o.single_suspects = self.single_suspects;
        o
    }
}

/// A default as the analyzer's types hold it (every default here is a
/// small non-negative integer).
pub(crate) fn default_of(spec: NumberSpec) -> u64 {
    spec.default as u64
}

#[cfg(test)]
#[path = "options_tests.rs"]
mod tests;

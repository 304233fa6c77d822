//! The watchdog's options: the one place their defaults and ranges live.
//!
//! `watch()` (lib/watch-options.js) reads this schema through the binding to
//! know the names and JS types, and hands the values here to be checked and
//! completed with defaults; the detector and the urgent rule check their
//! configuration against the same specs. `heapProfile` (the evidence
//! profile, lib/watchdog-evidence.js) and the standalone `SamplingProfiler`'s
//! interval are here too. Each number's range is a `Range` (src/range.rs).
//! The README's options tables, lib/watchdog.d.ts and
//! lib/sampling-profiler.d.ts are tested against it
//! (__test__/watch-options.test.js).

use super::WatchError;
use crate::range::{OutOfRange, Range, MAX_TIMER_MS};

/// A numeric option: its range, and how many `intervalMs` it must hold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NumberSpec {
    pub name: &'static str,
    pub default: f64,
    pub range: Range,
    /// At least this many times `intervalMs`: the rule behind it needs that
    /// many readings, at best one per interval.
    pub min_intervals: Option<f64>,
}

pub const INTERVAL_MS: NumberSpec = NumberSpec {
    name: "intervalMs",
    default: 5000.0,
    range: Range::between(10.0, true, MAX_TIMER_MS, true),
    min_intervals: None,
};
/// 3 min at 1 MiB/min: 3 MiB of rise per window, the ratio of rise to noise
/// the clean corpus was validated at (bench/watchdog.js).
pub const WINDOW_MS: NumberSpec = NumberSpec {
    name: "windowMs",
    default: 180_000.0,
    range: Range::above(0.0),
    // The lower envelope needs a few buckets of readings.
    min_intervals: Some(4.0),
};
pub const MIN_GROWTH_BYTES_PER_MIN: NumberSpec = NumberSpec {
    name: "minGrowthBytesPerMin",
    default: 1_048_576.0,
    range: Range::above(0.0),
    min_intervals: None,
};
/// A Mann-Kendall confidence: 1 - p, which never reaches 1.
pub const CONFIDENCE: NumberSpec = NumberSpec {
    name: "confidence",
    default: 0.95,
    range: Range::between(0.5, false, 1.0, false),
    min_intervals: None,
};
/// With `windowMs`, a 10 MB/min leak is reported within 3 minutes of start;
/// a leak that would kill the process sooner is reported during warm-up.
pub const WARMUP_MS: NumberSpec = NumberSpec {
    name: "warmupMs",
    default: 30_000.0,
    range: Range::at_least(0.0),
    min_intervals: None,
};
pub const URGENT_HORIZON_MS: NumberSpec = NumberSpec {
    name: "urgentHorizonMs",
    default: 900_000.0,
    range: Range::above(0.0),
    // The urgent rule needs five readings (urgent.rs).
    min_intervals: Some(super::urgent::MIN_READINGS as f64),
};
/// Snapshots stop the event loop for seconds on big heaps: a few at most.
pub const SNAPSHOTS: NumberSpec = NumberSpec {
    name: "snapshots",
    default: 0.0,
    range: Range::integers(0.0, 20.0),
    min_intervals: None,
};

/// The numeric options, in the order they are checked and documented.
pub const NUMBERS: [NumberSpec; 7] = [
    INTERVAL_MS,
    WINDOW_MS,
    MIN_GROWTH_BYTES_PER_MIN,
    CONFIDENCE,
    WARMUP_MS,
    URGENT_HORIZON_MS,
    SNAPSHOTS,
];
pub const FORCE_GC: &str = "forceGc";
pub const FORCE_GC_DEFAULT: bool = true;
/// A cgroup mount to read instead of `LEAKWATCH_CGROUP_ROOT` or /sys/fs/cgroup.
pub const CGROUP_ROOT: &str = "cgroupRoot";

/// The sampling heap profile kept as evidence (lib/watchdog-evidence.js):
/// `heapProfile: { when, samplingIntervalBytes, saveEveryMs }`.
pub const HEAP_PROFILE: &str = "heapProfile";
pub const WHEN: &str = "when";
/// When sampling starts. Left out: the first when `snapshots > 0` (the
/// profile joins the snapshots' suspects to allocation sites), else the last.
pub const WHENS: [&str; 3] = ["suspected", "always", "never"];
/// One sample per 512 KiB allocated: ~0.1% CPU on the Express benchmark
/// (bench/profiler.js, docs/allocation-sites.md).
pub const DEFAULT_SAMPLING_INTERVAL_BYTES: f64 = 524_288.0;
const MAX_SAMPLING_INTERVAL_BYTES: f64 = 1_073_741_824.0;
/// The watchdog runs unattended in production: under 1 KiB per sample
/// costs more CPU than a watchdog may take.
pub const SAMPLING_INTERVAL_BYTES: NumberSpec = NumberSpec {
    name: "samplingIntervalBytes",
    default: DEFAULT_SAMPLING_INTERVAL_BYTES,
    range: Range::integers(1024.0, MAX_SAMPLING_INTERVAL_BYTES),
    min_intervals: None,
};
/// Each save costs V8 a full GC: rare while OOM is far.
pub const SAVE_EVERY_MS: NumberSpec = NumberSpec {
    name: "saveEveryMs",
    default: 30_000.0,
    range: Range::integers(100.0, MAX_TIMER_MS),
    min_intervals: None,
};
/// `heapProfile`'s numeric options, in the order they are documented.
pub const HEAP_PROFILE_NUMBERS: [NumberSpec; 2] = [SAMPLING_INTERVAL_BYTES, SAVE_EVERY_MS];
/// The standalone `SamplingProfiler`'s interval: down to every byte (a
/// test, a short session by hand), with the watchdog's default.
pub const PROFILER_SAMPLING_INTERVAL_BYTES: NumberSpec = NumberSpec {
    range: Range::integers(1.0, MAX_SAMPLING_INTERVAL_BYTES),
    ..SAMPLING_INTERVAL_BYTES
};

/// The one point where a number out of its range becomes this core's error.
impl From<OutOfRange> for WatchError {
    fn from(e: OutOfRange) -> Self {
        WatchError::invalid_option(&e.name, &e.why)
    }
}

impl NumberSpec {
    /// `v` if it is within this option's range, else the error naming it.
    pub fn check(&self, v: f64) -> Result<f64, WatchError> {
        Ok(self.range.check(self.name, v)?)
    }

    /// `v` if it also holds the `min_intervals` readings of `interval_ms`.
    pub fn check_with_interval(&self, v: f64, interval_ms: f64) -> Result<f64, WatchError> {
        let v = self.check(v)?;
        match self.min_intervals {
            Some(n) if v < n * interval_ms => Err(WatchError::invalid_option(
                self.name,
                &format!(
                    "expected at least {n} x intervalMs ({}), got {v}",
                    n * interval_ms
                ),
            )),
            _ => Ok(v),
        }
    }

    fn given_or_default(&self, given: Option<f64>) -> Result<f64, WatchError> {
        self.check(given.unwrap_or(self.default))
    }

    /// The range as the docs state it: `in [10, 2147483647]`,
    /// `> 0 and >= 4 x intervalMs`.
    pub fn doc(&self) -> String {
        match self.min_intervals {
            Some(n) => format!("{} and >= {n} x intervalMs", self.range),
            None => self.range.to_string(),
        }
    }
}

/// What the user gave; `None` for an option left out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GivenOptions {
    pub interval_ms: Option<f64>,
    pub window_ms: Option<f64>,
    pub min_growth_bytes_per_min: Option<f64>,
    pub confidence: Option<f64>,
    pub warmup_ms: Option<f64>,
    pub urgent_horizon_ms: Option<f64>,
    pub force_gc: Option<bool>,
    pub snapshots: Option<f64>,
    pub cgroup_root: Option<String>,
}

/// The options, checked and with their defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchOptions {
    pub interval_ms: f64,
    pub window_ms: f64,
    pub min_growth_bytes_per_min: f64,
    pub confidence: f64,
    pub warmup_ms: f64,
    pub urgent_horizon_ms: f64,
    pub force_gc: bool,
    pub snapshots: u32,
    pub cgroup_root: Option<String>,
}

/// Checks every option given against its spec, then the ones that depend on
/// `intervalMs`; fills the rest with defaults. Nothing is clamped: a value
/// out of range is an `ERR_LEAKWATCH_INVALID_OPTION` naming the option.
pub fn resolve(g: &GivenOptions) -> Result<WatchOptions, WatchError> {
    let interval_ms = INTERVAL_MS.given_or_default(g.interval_ms)?;
    let window_ms = WINDOW_MS.given_or_default(g.window_ms)?;
    let min_growth_bytes_per_min =
        MIN_GROWTH_BYTES_PER_MIN.given_or_default(g.min_growth_bytes_per_min)?;
    let confidence = CONFIDENCE.given_or_default(g.confidence)?;
    let warmup_ms = WARMUP_MS.given_or_default(g.warmup_ms)?;
    let urgent_horizon_ms = URGENT_HORIZON_MS.given_or_default(g.urgent_horizon_ms)?;
    // An integer in 0..=20 by its spec, so the cast is exact.
    let snapshots = SNAPSHOTS.given_or_default(g.snapshots)? as u32;
    if let Some(root) = &g.cgroup_root {
        if root.is_empty() || root.contains('\0') {
            return Err(WatchError::invalid_option(
                CGROUP_ROOT,
                "expected a non-empty path",
            ));
        }
    }
    Ok(WatchOptions {
        interval_ms,
        window_ms: WINDOW_MS.check_with_interval(window_ms, interval_ms)?,
        min_growth_bytes_per_min,
        confidence,
        warmup_ms,
        urgent_horizon_ms: URGENT_HORIZON_MS.check_with_interval(urgent_horizon_ms, interval_ms)?,
        force_gc: g.force_gc.unwrap_or(FORCE_GC_DEFAULT),
        snapshots,
        cgroup_root: g.cgroup_root.clone(),
    })
}

/// `heapProfile` as given; `None` for an option left out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GivenHeapProfile {
    pub when: Option<String>,
    pub sampling_interval_bytes: Option<f64>,
    pub save_every_ms: Option<f64>,
}

/// `heapProfile`, checked and with its defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct HeapProfileOptions {
    /// One of `WHENS`.
    pub when: &'static str,
    pub sampling_interval_bytes: f64,
    pub save_every_ms: f64,
}

/// Checks `heapProfile` against its specs (errors name `heapProfile.<key>`)
/// and fills in its defaults; `when`'s depends on `snapshots`.
pub fn resolve_heap_profile(
    g: &GivenHeapProfile,
    snapshots: u32,
) -> Result<HeapProfileOptions, WatchError> {
    let nested = |spec: NumberSpec, given: Option<f64>| -> Result<f64, WatchError> {
        let name = format!("{HEAP_PROFILE}.{}", spec.name);
        Ok(spec.range.check(&name, given.unwrap_or(spec.default))?)
    };
    let default_when = if snapshots > 0 { WHENS[0] } else { WHENS[2] };
    let when = match g.when.as_deref() {
        None => default_when,
        Some(w) => WHENS.into_iter().find(|k| *k == w).ok_or_else(|| {
            WatchError::invalid_option(
                &format!("{HEAP_PROFILE}.{WHEN}"),
                &format!("expected one of {}, got \"{w}\"", WHENS.join(", ")),
            )
        })?,
    };
    Ok(HeapProfileOptions {
        when,
        sampling_interval_bytes: nested(SAMPLING_INTERVAL_BYTES, g.sampling_interval_bytes)?,
        save_every_ms: nested(SAVE_EVERY_MS, g.save_every_ms)?,
    })
}

/// The standalone `SamplingProfiler`'s interval: the one given, else the default.
pub fn profiler_sampling_interval(given: Option<f64>) -> Result<f64, WatchError> {
    PROFILER_SAMPLING_INTERVAL_BYTES.given_or_default(given)
}

#[cfg(test)]
#[path = "options_tests.rs"]
mod tests;

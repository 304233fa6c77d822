//! The watchdog's options: the one place their defaults and ranges live.
//!
//! `watch()` (lib/watch-options.js) reads this schema through the binding to
//! know the names and JS types, and hands the values here to be checked and
//! completed with defaults; the detector and the urgent rule check their
//! configuration against the same specs. The README's options table and
//! lib/watchdog.d.ts are tested against it (__test__/watch-options.test.js).

use super::WatchError;

/// One end of a range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    pub value: f64,
    /// Whether `value` itself is allowed.
    pub inclusive: bool,
}

const fn at_least(value: f64) -> Option<Limit> {
    Some(Limit {
        value,
        inclusive: true,
    })
}

const fn above(value: f64) -> Option<Limit> {
    Some(Limit {
        value,
        inclusive: false,
    })
}

/// A numeric option: finite, within `[min, max]` (ends as their `Limit`s say).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NumberSpec {
    pub name: &'static str,
    pub default: f64,
    pub min: Option<Limit>,
    pub max: Option<Limit>,
    pub integer: bool,
    /// At least this many times `intervalMs`: the rule behind it needs that
    /// many readings, at best one per interval.
    pub min_intervals: Option<f64>,
}

/// Node's timers hold at most 2^31 - 1 ms; a longer period fires at once.
const MAX_TIMER_MS: f64 = 2_147_483_647.0;

pub const INTERVAL_MS: NumberSpec = NumberSpec {
    name: "intervalMs",
    default: 5000.0,
    min: at_least(10.0),
    max: Some(Limit {
        value: MAX_TIMER_MS,
        inclusive: true,
    }),
    integer: false,
    min_intervals: None,
};
/// 3 min at 1 MiB/min: 3 MiB of rise per window, the ratio of rise to noise
/// the clean corpus was validated at (bench/watchdog.js).
pub const WINDOW_MS: NumberSpec = NumberSpec {
    name: "windowMs",
    default: 180_000.0,
    min: above(0.0),
    max: None,
    integer: false,
    // The lower envelope needs a few buckets of readings.
    min_intervals: Some(4.0),
};
pub const MIN_GROWTH_BYTES_PER_MIN: NumberSpec = NumberSpec {
    name: "minGrowthBytesPerMin",
    default: 1_048_576.0,
    min: above(0.0),
    max: None,
    integer: false,
    min_intervals: None,
};
/// A Mann-Kendall confidence: 1 - p, which never reaches 1.
pub const CONFIDENCE: NumberSpec = NumberSpec {
    name: "confidence",
    default: 0.95,
    min: above(0.5),
    max: Some(Limit {
        value: 1.0,
        inclusive: false,
    }),
    integer: false,
    min_intervals: None,
};
/// With `windowMs`, a 10 MB/min leak is reported within 3 minutes of start;
/// a leak that would kill the process sooner is reported during warm-up.
pub const WARMUP_MS: NumberSpec = NumberSpec {
    name: "warmupMs",
    default: 30_000.0,
    min: at_least(0.0),
    max: None,
    integer: false,
    min_intervals: None,
};
pub const URGENT_HORIZON_MS: NumberSpec = NumberSpec {
    name: "urgentHorizonMs",
    default: 900_000.0,
    min: above(0.0),
    max: None,
    integer: false,
    // The urgent rule needs five readings (urgent.rs).
    min_intervals: Some(super::urgent::MIN_READINGS as f64),
};
/// Snapshots stop the event loop for seconds on big heaps: a few at most.
pub const SNAPSHOTS: NumberSpec = NumberSpec {
    name: "snapshots",
    default: 0.0,
    min: at_least(0.0),
    max: Some(Limit {
        value: 20.0,
        inclusive: true,
    }),
    integer: true,
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

impl NumberSpec {
    /// `v` if it is within this option's range, else the error naming it.
    pub fn check(&self, v: f64) -> Result<f64, WatchError> {
        let bad = |why: String| Err(WatchError::invalid_option(self.name, &why));
        if !v.is_finite() {
            return bad(format!("must be a finite number, got {v}"));
        }
        if self.integer && v.fract() != 0.0 {
            return bad(format!("must be an integer, got {v}"));
        }
        if let Some(l) = self.min {
            if v < l.value || (!l.inclusive && v == l.value) {
                let op = if l.inclusive { ">=" } else { ">" };
                return bad(format!("must be {op} {}, got {v}", l.value));
            }
        }
        if let Some(l) = self.max {
            if v > l.value || (!l.inclusive && v == l.value) {
                let op = if l.inclusive { "<=" } else { "<" };
                return bad(format!("must be {op} {}, got {v}", l.value));
            }
        }
        Ok(v)
    }

    /// `v` if it also holds the `min_intervals` readings of `interval_ms`.
    pub fn check_with_interval(&self, v: f64, interval_ms: f64) -> Result<f64, WatchError> {
        let v = self.check(v)?;
        match self.min_intervals {
            Some(n) if v < n * interval_ms => Err(WatchError::invalid_option(
                self.name,
                &format!(
                    "must be at least {n} x intervalMs ({}), got {v}",
                    n * interval_ms
                ),
            )),
            _ => Ok(v),
        }
    }

    fn given_or_default(&self, given: Option<f64>) -> Result<f64, WatchError> {
        self.check(given.unwrap_or(self.default))
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
                "must be a non-empty path",
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

#[cfg(test)]
#[path = "options_tests.rs"]
mod tests;

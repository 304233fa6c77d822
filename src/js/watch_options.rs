//! Glue for the watchdog's option schema (src/watch/options.rs): the schema
//! itself, for lib/watch-options.js to know names and JS types, and the check
//! that completes the options given with their defaults.

use napi::bindgen_prelude::Result;
use napi_derive::napi;

use super::error::{map_error, Code};
use crate::watch::options::{self, GivenOptions, Limit};

/// The scalar options of `watch()`, each absent when not given.
#[napi(object)]
pub struct WatchOptionValues {
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

/// The same options, checked and completed with their defaults.
#[napi(object)]
pub struct ResolvedWatchOptions {
    /// Sampling period of the RSS/cgroup thread and the watchdog's tick, in ms.
    pub interval_ms: f64,
    /// Analysis window, in ms.
    pub window_ms: f64,
    /// Smallest growth worth reporting, bytes per minute.
    pub min_growth_bytes_per_min: f64,
    /// Mann-Kendall confidence required, in (0.5, 1).
    pub confidence: f64,
    /// Readings in the first `warmupMs` after the start are ignored by the
    /// careful rules.
    pub warmup_ms: f64,
    /// A leak projected to exhaust a limit within this many ms is reported at
    /// once (see src/watch/urgent.rs).
    pub urgent_horizon_ms: f64,
    /// Whether the watchdog may request full GCs (src/watch/cadence.rs).
    pub force_gc: bool,
    /// Snapshots the watchdog takes on a leak.
    pub snapshots: u32,
    /// cgroup mount to read instead of `LEAKWATCH_CGROUP_ROOT` or /sys/fs/cgroup.
    pub cgroup_root: Option<String>,
}

/// One numeric option's rule.
#[napi(object)]
pub struct WatchNumberSpec {
    pub name: String,
    pub default: f64,
    pub min: Option<f64>,
    /// Whether `min` itself is allowed.
    pub min_inclusive: bool,
    pub max: Option<f64>,
    pub max_inclusive: bool,
    pub integer: bool,
    /// At least this many times `intervalMs`.
    pub min_intervals: Option<f64>,
}

/// Every scalar option of `watch()`: numbers, the boolean `forceGc`, the
/// path `cgroupRoot`.
#[napi(object)]
pub struct WatchOptionSchema {
    pub numbers: Vec<WatchNumberSpec>,
    pub force_gc: String,
    pub force_gc_default: bool,
    pub cgroup_root: String,
}

/// Checks the options given against the schema and fills in the defaults.
/// Throws ERR_LEAKWATCH_INVALID_OPTION naming the first option out of range.
#[napi]
pub fn watch_options(given: WatchOptionValues) -> Result<ResolvedWatchOptions, Code> {
    let o = options::resolve(&GivenOptions {
        interval_ms: given.interval_ms,
        window_ms: given.window_ms,
        min_growth_bytes_per_min: given.min_growth_bytes_per_min,
        confidence: given.confidence,
        warmup_ms: given.warmup_ms,
        urgent_horizon_ms: given.urgent_horizon_ms,
        force_gc: given.force_gc,
        snapshots: given.snapshots,
        cgroup_root: given.cgroup_root,
    })
    .map_err(map_error)?;
    Ok(ResolvedWatchOptions {
        interval_ms: o.interval_ms,
        window_ms: o.window_ms,
        min_growth_bytes_per_min: o.min_growth_bytes_per_min,
        confidence: o.confidence,
        warmup_ms: o.warmup_ms,
        urgent_horizon_ms: o.urgent_horizon_ms,
        force_gc: o.force_gc,
        snapshots: o.snapshots,
        cgroup_root: o.cgroup_root,
    })
}

/// The schema `watchOptions` checks against.
#[napi]
pub fn watch_option_schema() -> WatchOptionSchema {
    let end = |l: Option<Limit>| (l.map(|l| l.value), l.is_some_and(|l| l.inclusive));
    let numbers = options::NUMBERS
        .iter()
        .map(|s| {
            let (min, min_inclusive) = end(s.min);
            let (max, max_inclusive) = end(s.max);
            WatchNumberSpec {
                name: s.name.to_string(),
                default: s.default,
                min,
                min_inclusive,
                max,
                max_inclusive,
                integer: s.integer,
                min_intervals: s.min_intervals,
            }
        })
        .collect();
    WatchOptionSchema {
        numbers,
        force_gc: options::FORCE_GC.to_string(),
        force_gc_default: options::FORCE_GC_DEFAULT,
        cgroup_root: options::CGROUP_ROOT.to_string(),
    }
}

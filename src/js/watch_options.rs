//! Glue for the watchdog's option schema (src/watch/options.rs): the schema
//! itself, for lib/watch-options.js to know names and JS types, and the check
//! that completes the options given with their defaults.

use napi::bindgen_prelude::Result;
use napi_derive::napi;

use super::error::{map_error, Code};
use super::range::OptionNumberSpec;
use crate::watch::options::{self, GivenHeapProfile, GivenOptions, NumberSpec};

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

/// `heapProfile` as given, each absent when not given.
#[napi(object)]
pub struct HeapProfileValues {
    pub when: Option<String>,
    pub sampling_interval_bytes: Option<f64>,
    pub save_every_ms: Option<f64>,
}

/// `heapProfile`, checked and completed with its defaults.
#[napi(object)]
pub struct ResolvedHeapProfile {
    /// `'suspected'`, `'always'` or `'never'`.
    pub when: String,
    /// Mean bytes allocated between two samples.
    pub sampling_interval_bytes: f64,
    /// Re-save period of the evidence profile while OOM is not near, in ms.
    pub save_every_ms: f64,
}

/// `heapProfile`'s options: the numbers, and `when`'s names.
#[napi(object)]
pub struct HeapProfileSchema {
    /// `'heapProfile'`.
    pub name: String,
    pub numbers: Vec<OptionNumberSpec>,
    pub when: String,
    /// The first is the default when `snapshots > 0`, the last otherwise.
    pub whens: Vec<String>,
}

/// Every scalar option of `watch()`: numbers, the boolean `forceGc`, the
/// path `cgroupRoot`.
#[napi(object)]
pub struct WatchOptionSchema {
    pub numbers: Vec<OptionNumberSpec>,
    pub force_gc: String,
    pub force_gc_default: bool,
    pub cgroup_root: String,
    pub heap_profile: HeapProfileSchema,
    /// The standalone `SamplingProfiler`'s `samplingIntervalBytes`.
    pub profiler_sampling_interval_bytes: OptionNumberSpec,
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

/// Checks `heapProfile` against the schema and fills in its defaults (`when`
/// by `snapshots`). Throws ERR_LEAKWATCH_INVALID_OPTION naming
/// `heapProfile.<key>`.
#[napi]
pub fn watch_heap_profile_options(
    given: HeapProfileValues,
    snapshots: u32,
) -> Result<ResolvedHeapProfile, Code> {
    let o = options::resolve_heap_profile(
        &GivenHeapProfile {
            when: given.when,
            sampling_interval_bytes: given.sampling_interval_bytes,
            save_every_ms: given.save_every_ms,
        },
        snapshots,
    )
    .map_err(map_error)?;
    Ok(ResolvedHeapProfile {
        when: o.when.to_string(),
        sampling_interval_bytes: o.sampling_interval_bytes,
        save_every_ms: o.save_every_ms,
    })
}

/// The standalone `SamplingProfiler`'s `samplingIntervalBytes`: the one given,
/// else the default. Throws ERR_LEAKWATCH_INVALID_OPTION.
#[napi]
pub fn profiler_sampling_interval(given: Option<f64>) -> Result<f64, Code> {
    options::profiler_sampling_interval(given).map_err(map_error)
}

fn number(s: &NumberSpec) -> OptionNumberSpec {
    OptionNumberSpec {
        min_intervals: s.min_intervals,
        ..OptionNumberSpec::new(s.name, Some(s.default), s.range, s.doc())
    }
}

/// The schema `watchOptions` checks against.
#[napi]
pub fn watch_option_schema() -> WatchOptionSchema {
    WatchOptionSchema {
        numbers: options::NUMBERS.iter().map(number).collect(),
        force_gc: options::FORCE_GC.to_string(),
        force_gc_default: options::FORCE_GC_DEFAULT,
        cgroup_root: options::CGROUP_ROOT.to_string(),
        heap_profile: HeapProfileSchema {
            name: options::HEAP_PROFILE.to_string(),
            numbers: options::HEAP_PROFILE_NUMBERS.iter().map(number).collect(),
            when: options::WHEN.to_string(),
            whens: options::WHENS.iter().map(|w| w.to_string()).collect(),
        },
        profiler_sampling_interval_bytes: number(&options::PROFILER_SAMPLING_INTERVAL_BYTES),
    }
}

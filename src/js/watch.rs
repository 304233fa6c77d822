//! Glue for the watchdog core. No ThreadsafeFunction: the JS side polls the
//! sampler's latest reading on its own unref'd timer and feeds post-GC
//! readings in, so nothing here can keep the event loop alive, and stop()
//! (or env teardown, through a cleanup hook) joins the one thread.

use std::path::PathBuf;
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use napi::bindgen_prelude::*;
use napi::CleanupEnvHook;
use napi_derive::napi;

use super::error::{internal, map_error, Code};
use crate::watch::cgroup::{CgroupReader, Version};
use crate::watch::detector::{DetectorConfig, Event, GrowthDetector};
use crate::watch::oom::{self, Bound, Limits};
use crate::watch::sampler::{MemoryReading, Sampler};
use crate::watch::WatchError;

/// Options for the native half of a watchdog; `lib/watchdog.js` validates and
/// fills defaults before calling.
#[napi(object)]
pub struct NativeWatchOptions {
    /// Sampling period of the RSS/cgroup thread, in ms.
    pub interval_ms: f64,
    /// Analysis window, in ms.
    pub window_ms: f64,
    /// Smallest growth of the post-GC live heap worth reporting.
    pub min_growth_bytes_per_min: f64,
    /// Mann-Kendall confidence required, in (0.5, 1).
    pub confidence: f64,
    /// Readings in the first `warmupMs` after `startedAtMs` are ignored.
    pub warmup_ms: f64,
    /// The clock origin for sample times (`performance.now()` at start).
    pub started_at_ms: f64,
    /// cgroup mount to read instead of `LEAKWATCH_CGROUP_ROOT` or /sys/fs/cgroup.
    pub cgroup_root: Option<String>,
}

/// The latest memory figures from the sampling thread.
#[napi(object)]
pub struct NativeMemory {
    /// Resident set size.
    pub rss_bytes: f64,
    /// Highest RSS since the previous `memory(true)` call.
    pub peak_rss_bytes: f64,
    /// Container memory limit, when there is one.
    pub memory_limit_bytes: Option<f64>,
    /// Container working set counted against that limit.
    pub memory_usage_bytes: Option<f64>,
    /// 1 or 2 when a cgroup memory controller was found.
    pub cgroup_version: Option<u32>,
    /// Readings taken by the thread so far.
    pub samples: f64,
    /// CPU time used by the sampling thread.
    pub sampler_cpu_ms: f64,
}

/// One evaluation of the detector, with the time-to-OOM projection.
#[napi(object)]
pub struct NativeAssessment {
    /// "leak" or "recovered" when an event is due, else absent.
    pub event: Option<String>,
    /// warmup | insufficient | steady | suspected | leak
    pub state: String,
    /// Theil-Sen slope of the post-GC floor over the window.
    pub growth_bytes_per_min: f64,
    /// Same, over the recent half of the window.
    pub recent_growth_bytes_per_min: f64,
    /// 1 - p of the Mann-Kendall test for an increasing floor.
    pub confidence: f64,
    /// Post-GC readings inside the window.
    pub samples: u32,
    /// Lower-envelope points the statistics used.
    pub points: u32,
    /// Time covered by those points.
    pub span_ms: f64,
    /// The window analysed: `windowMs`, or longer when major GCs are sparse.
    pub window_ms: f64,
    /// Rise of the floor's minimum from the first to the last third.
    pub floor_rise_bytes: f64,
    /// Latest post-GC live heap.
    pub live_heap_bytes: f64,
    /// Projected time until the smaller limit is reached at this growth.
    pub ms_to_oom: Option<f64>,
    /// Wall-clock time (epoch ms) of that projection.
    pub projected_oom_at: Option<f64>,
    /// "heap" or "container": which limit the projection hits first.
    pub oom_bound: Option<String>,
    /// Why the detector decided as it did.
    pub reason: String,
}

/// Native half of a watchdog: the growth detector and the sampling thread.
#[napi]
pub struct NativeWatchdog {
    detector: GrowthDetector,
    sampler: Option<Arc<Sampler>>,
    cleanup: Option<CleanupEnvHook<Weak<Sampler>>>,
}

#[napi]
impl NativeWatchdog {
    /// Validates the options and starts the sampling thread.
    #[napi(constructor)]
    pub fn new(env: Env, opts: NativeWatchOptions) -> Result<Self, Code> {
        let cfg = DetectorConfig {
            window_ms: opts.window_ms,
            min_growth_bytes_per_min: opts.min_growth_bytes_per_min,
            confidence: opts.confidence,
            warmup_ms: opts.warmup_ms,
        };
        let detector = GrowthDetector::new(cfg, opts.started_at_ms).map_err(map_error)?;
        if !(opts.interval_ms.is_finite() && opts.interval_ms >= 1.0) {
            return Err(map_error(WatchError::invalid_option(
                "intervalMs",
                "must be a finite number >= 1",
            )));
        }
        let root = opts
            .cgroup_root
            .filter(|r| !r.is_empty())
            .map(PathBuf::from);
        let cgroup = CgroupReader::discover(root.as_deref());
        let sampler = Arc::new(
            Sampler::start(Duration::from_millis(opts.interval_ms as u64), cgroup)
                .map_err(map_error)?,
        );
        let cleanup = env
            .add_env_cleanup_hook(Arc::downgrade(&sampler), |weak| {
                if let Some(s) = weak.upgrade() {
                    s.stop();
                }
            })
            .map_err(internal)?;
        Ok(NativeWatchdog {
            detector,
            sampler: Some(sampler),
            cleanup: Some(cleanup),
        })
    }

    /// Records the live heap measured right after a major GC at `tMs`.
    #[napi]
    pub fn add_sample(&mut self, t_ms: f64, live_bytes: f64) {
        self.detector.push(t_ms, live_bytes);
    }

    /// Runs the detector at `nowMs` and projects time-to-OOM from the heap
    /// figures given and the sampler's latest container reading.
    #[napi]
    pub fn evaluate(
        &mut self,
        now_ms: f64,
        heap_used_bytes: f64,
        heap_limit_bytes: f64,
    ) -> NativeAssessment {
        let d = self.detector.evaluate(now_ms);
        let mem = self.reading(false);
        let a = d.assessment;
        let limits = Limits {
            heap_used_bytes,
            heap_limit_bytes,
            memory_limit_bytes: mem.cgroup.map(|c| c.limit_bytes),
            memory_usage_bytes: mem.cgroup.map(|c| c.usage_bytes),
        };
        let projection = oom::project(a.growth_bytes_per_min, &limits);
        let now_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
        NativeAssessment {
            event: d.event.map(|e| {
                match e {
                    Event::Leak => "leak",
                    Event::Recovered => "recovered",
                }
                .to_string()
            }),
            state: a.state.as_str().to_string(),
            growth_bytes_per_min: a.growth_bytes_per_min,
            recent_growth_bytes_per_min: a.recent_growth_bytes_per_min,
            confidence: a.confidence,
            samples: a.samples.min(u32::MAX as usize) as u32,
            points: a.points.min(u32::MAX as usize) as u32,
            span_ms: a.span_ms,
            window_ms: a.window_ms,
            floor_rise_bytes: a.floor_rise_bytes,
            live_heap_bytes: a.live_heap_bytes,
            ms_to_oom: projection.map(|p| p.ms_to_oom),
            projected_oom_at: projection.map(|p| now_epoch + p.ms_to_oom),
            oom_bound: projection.map(|p| {
                match p.bound {
                    Bound::Heap => "heap",
                    Bound::Container => "container",
                }
                .to_string()
            }),
            reason: a.reason,
        }
    }

    /// The sampler's latest reading; `resetPeak` restarts the peak-RSS tracking.
    #[napi]
    pub fn memory(&self, reset_peak: Option<bool>) -> NativeMemory {
        let m = self.reading(reset_peak.unwrap_or(false));
        let version = m.cgroup.map(|c| match c.version {
            Version::V1 => 1,
            Version::V2 => 2,
        });
        NativeMemory {
            rss_bytes: m.rss_bytes,
            peak_rss_bytes: m.peak_rss_bytes,
            memory_limit_bytes: m.cgroup.map(|c| c.limit_bytes),
            memory_usage_bytes: m.cgroup.map(|c| c.usage_bytes),
            cgroup_version: version,
            samples: m.samples as f64,
            sampler_cpu_ms: m.thread_cpu_ms,
        }
    }

    /// True until `stop()`.
    #[napi(getter)]
    pub fn running(&self) -> bool {
        self.sampler.as_ref().is_some_and(|s| s.is_running())
    }

    /// Stops and joins the sampling thread; idempotent.
    #[napi]
    pub fn stop(&mut self, env: Env) -> Result<()> {
        if let Some(s) = self.sampler.take() {
            s.stop();
        }
        if let Some(hook) = self.cleanup.take() {
            env.remove_env_cleanup_hook(hook)?;
        }
        Ok(())
    }

    fn reading(&self, reset_peak: bool) -> MemoryReading {
        match &self.sampler {
            Some(s) if reset_peak => s.take_peak_rss(),
            Some(s) => s.latest(),
            None => MemoryReading::default(),
        }
    }
}

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
use super::watch_options::ResolvedWatchOptions;
use crate::watch::cgroup::{CgroupReader, Version};
use crate::watch::detector::Event;
use crate::watch::options::{self, GivenOptions, WatchOptions};
use crate::watch::sampler::{rss_bytes, MemoryReading, Sampler};
use crate::watch::track::TrackDecision;
use crate::watch::tracks::{HeapFigures, MemoryTracks, ProcessMemory};

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

/// One evaluation of one memory series, with the time-to-OOM projection.
#[napi(object)]
pub struct NativeAssessment {
    /// "heap" (post-GC live heap), "external" (Buffers, ArrayBuffers after
    /// major GCs) or "rss" (RSS outside V8's heap and external memory).
    pub kind: String,
    /// "leak" or "recovered" when an event is due, else absent.
    pub event: Option<String>,
    /// True while the urgent rule holds: a limit is projected within the horizon.
    pub urgent: bool,
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
    /// "heap", "container" or "rss": which limit the projection hits first.
    pub oom_bound: Option<String>,
    /// Why the detector decided as it did.
    pub reason: String,
}

/// Native half of a watchdog: the three memory series and the full-GC
/// policy (src/watch/tracks.rs), and the sampling thread.
#[napi]
pub struct NativeWatchdog {
    tracks: MemoryTracks,
    sampler: Option<Arc<Sampler>>,
    cleanup: Option<CleanupEnvHook<Weak<Sampler>>>,
}

#[napi]
impl NativeWatchdog {
    /// Validates the options (as `watchOptions()` resolved them; checked
    /// again against the same schema, src/watch/options.rs) and starts the
    /// sampling thread. `startedAtMs` is the clock origin of sample times
    /// (`performance.now()` at start).
    #[napi(constructor)]
    pub fn new(env: Env, opts: ResolvedWatchOptions, started_at_ms: f64) -> Result<Self, Code> {
        let opts = checked(opts)?;
        let tracks = MemoryTracks::new(&opts, started_at_ms).map_err(map_error)?;
        let root = opts.cgroup_root.map(PathBuf::from);
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
            tracks,
            sampler: Some(sampler),
            cleanup: Some(cleanup),
        })
    }

    /// Records the live heap and `external` measured right after a major GC
    /// at `tMs`. Returns true when the urgent rule now holds for either, so
    /// the caller evaluates at once rather than at its next tick.
    /// `heap`, when given, is V8's figures at the same moment: the urgent
    /// verdict projects from them (a leak faster than a tick must not wait
    /// for the next tick's figures), and RSS outside V8 is measured against
    /// its committed heap; else the last tick's figures.
    #[napi]
    pub fn add_sample(
        &mut self,
        t_ms: f64,
        live_bytes: f64,
        external_bytes: f64,
        heap: Option<HeapNow>,
    ) -> bool {
        let mem = self.process_memory();
        self.tracks
            .add_sample(t_ms, live_bytes, external_bytes, heap.map(figures), &mem)
    }

    /// Runs the three series' rules at `nowMs` with the heap figures given
    /// and the sampler's latest RSS and container reading. Returns the heap's
    /// assessment first, then external's, then RSS's (left out while the heap
    /// or external grows).
    #[napi]
    pub fn evaluate(&mut self, now_ms: f64, heap: HeapNow) -> Vec<NativeAssessment> {
        let mem = self.process_memory();
        let now_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
        self.tracks
            .evaluate(now_ms, figures(heap), &mem)
            .into_iter()
            .map(|d| to_native(d, now_epoch))
            .collect()
    }

    /// `external` seen between major GCs (after a minor GC, at a tick): it
    /// lowers the floor the next major GC's reading reports (src/watch/track.rs).
    #[napi]
    pub fn observe(&mut self, external_bytes: f64) {
        self.tracks.observe(external_bytes);
    }

    /// "urgent" or "starved" when a full GC is worth requesting now (see
    /// src/watch/cadence.rs), else absent; always absent with `forceGc: false`.
    #[napi]
    pub fn gc_due(&mut self, now_ms: f64, heap: HeapNow) -> Option<String> {
        let mem = self.reading(false);
        self.tracks
            .gc_due(now_ms, figures(heap), &mem)
            .map(|w| w.as_str().to_string())
    }

    /// Records a requested full GC and its pause, which spaces the next ones.
    #[napi]
    pub fn gc_done(&mut self, at_ms: f64, pause_ms: f64) {
        self.tracks.gc_done(at_ms, pause_ms);
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

    /// RSS read now (not the sampler's last: a leak faster than a tick) and
    /// the sampler's reading.
    fn process_memory(&self) -> ProcessMemory {
        ProcessMemory {
            rss_now_bytes: rss_bytes().ok(),
            reading: self.reading(false),
        }
    }

    fn reading(&self, reset_peak: bool) -> MemoryReading {
        match &self.sampler {
            Some(s) if reset_peak => s.take_peak_rss(),
            Some(s) => s.latest(),
            None => MemoryReading::default(),
        }
    }
}

/// The options through the one schema: nothing out of range reaches the core.
fn checked(opts: ResolvedWatchOptions) -> Result<WatchOptions, Code> {
    options::resolve(&GivenOptions {
        interval_ms: Some(opts.interval_ms),
        window_ms: Some(opts.window_ms),
        min_growth_bytes_per_min: Some(opts.min_growth_bytes_per_min),
        confidence: Some(opts.confidence),
        warmup_ms: Some(opts.warmup_ms),
        urgent_horizon_ms: Some(opts.urgent_horizon_ms),
        force_gc: Some(opts.force_gc),
        snapshots: Some(f64::from(opts.snapshots)),
        cgroup_root: opts.cgroup_root,
    })
    .map_err(map_error)
}

/// V8's figures at the time of a call, from `v8.getHeapStatistics()`.
#[napi(object)]
#[derive(Default, Clone, Copy)]
pub struct HeapNow {
    /// Heap used now: the live heap plus garbage not yet collected.
    pub heap_used_bytes: f64,
    /// Heap committed by V8.
    pub heap_total_bytes: f64,
    pub heap_limit_bytes: f64,
    /// Memory held by JS objects outside the heap (Buffers, ArrayBuffers).
    pub external_bytes: f64,
    /// `process.constrainedMemory()` where it is a real limit, else the
    /// machine's memory: what RSS runs into.
    pub rss_limit_bytes: Option<f64>,
}

fn figures(h: HeapNow) -> HeapFigures {
    HeapFigures {
        heap_used_bytes: h.heap_used_bytes,
        heap_total_bytes: h.heap_total_bytes,
        heap_limit_bytes: h.heap_limit_bytes,
        external_bytes: h.external_bytes,
        rss_limit_bytes: h.rss_limit_bytes,
    }
}

fn to_native(d: TrackDecision, now_epoch: f64) -> NativeAssessment {
    let a = d.assessment;
    NativeAssessment {
        kind: d.kind.as_str().to_string(),
        event: d.event.map(|e| {
            match e {
                Event::Leak => "leak",
                Event::Recovered => "recovered",
            }
            .to_string()
        }),
        urgent: d.urgent.is_some(),
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
        ms_to_oom: d.projection.map(|p| p.ms_to_oom),
        projected_oom_at: d.projection.map(|p| now_epoch + p.ms_to_oom),
        oom_bound: d.projection.map(|p| p.bound.as_str().to_string()),
        reason: a.reason,
    }
}

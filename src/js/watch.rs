//! Glue for the watchdog core. No ThreadsafeFunction: the JS side polls the
//! sampler's latest reading on its own unref'd timer and feeds post-GC
//! readings in, so nothing here can keep the event loop alive, and stop()
//! (or env teardown, through a cleanup hook) joins the one thread.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use napi::bindgen_prelude::*;
use napi::CleanupEnvHook;
use napi_derive::napi;

use super::error::{internal, map_error, Code};
use crate::watch::cadence::{GcPolicy, Upper};
use crate::watch::cgroup::{CgroupReader, Version};
use crate::watch::detector::{DetectorConfig, Event};
use crate::watch::oom::Limits;
use crate::watch::options::{self, GivenOptions, WatchOptions};
use crate::watch::sampler::{rss_bytes, MemoryReading, Sampler};
use crate::watch::track::{Kind, Track, TrackDecision};
use crate::watch::urgent::UrgentConfig;

/// Options for the native half of a watchdog, as `watchOptions()` resolved
/// them; checked again here against the same schema (src/watch/options.rs).
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
    /// A leak projected to exhaust a limit within this many ms is reported at
    /// once, from five readings (see src/watch/urgent.rs).
    pub urgent_horizon_ms: f64,
    /// Whether the watchdog may request full GCs (src/watch/cadence.rs).
    pub force_gc: bool,
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

/// Native half of a watchdog: the three memory series, the full-GC policy
/// and the sampling thread.
#[napi]
pub struct NativeWatchdog {
    heap: Track,
    external: Track,
    rss: Track,
    gc: Option<GcPolicy>,
    last_major: Option<(f64, f64)>,
    /// V8's figures at the last call that gave them.
    last_heap: HeapNow,
    /// V8's committed heap at each tick of the last window: RSS outside V8
    /// grows with V8's own bookkeeping when the heap grows.
    heap_totals: VecDeque<(f64, f64)>,
    window_ms: f64,
    sampler: Option<Arc<Sampler>>,
    cleanup: Option<CleanupEnvHook<Weak<Sampler>>>,
}

#[napi]
impl NativeWatchdog {
    /// Validates the options and starts the sampling thread.
    #[napi(constructor)]
    pub fn new(env: Env, opts: NativeWatchOptions) -> Result<Self, Code> {
        let started_at_ms = opts.started_at_ms;
        let opts = checked(opts)?;
        let cfg = DetectorConfig {
            window_ms: opts.window_ms,
            min_growth_bytes_per_min: opts.min_growth_bytes_per_min,
            confidence: opts.confidence,
            warmup_ms: opts.warmup_ms,
        };
        let urgent = UrgentConfig::new(
            opts.interval_ms,
            opts.urgent_horizon_ms,
            opts.min_growth_bytes_per_min,
        )
        .map_err(map_error)?;
        let track = |kind| Track::new(kind, cfg.clone(), urgent, started_at_ms);
        let (heap, external, rss) = (
            track(Kind::Heap).map_err(map_error)?,
            track(Kind::External).map_err(map_error)?,
            track(Kind::Rss).map_err(map_error)?,
        );
        let gc = opts.force_gc.then(|| {
            GcPolicy::new(
                opts.interval_ms,
                opts.window_ms,
                opts.urgent_horizon_ms,
                opts.min_growth_bytes_per_min,
            )
        });
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
            heap,
            external,
            rss,
            gc,
            last_major: None,
            last_heap: HeapNow::default(),
            heap_totals: VecDeque::new(),
            window_ms: opts.window_ms,
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
        if let Some(h) = heap {
            self.last_heap = h;
        }
        self.heap.push(t_ms, live_bytes);
        self.external.push(t_ms, external_bytes);
        self.last_major = Some((t_ms, live_bytes + external_bytes));
        let total = self.last_heap.heap_total_bytes;
        if let Some(outside) = self.outside(total, external_bytes) {
            self.rss.push(t_ms, outside);
        }
        let limits = self.limits(&self.last_heap);
        self.heap.urgent(t_ms, &limits).is_some() || self.external.urgent(t_ms, &limits).is_some()
    }

    /// Runs the three series' rules at `nowMs` with the heap figures given
    /// and the sampler's latest RSS and container reading. Returns the heap's
    /// assessment first, then external's, then RSS's (left out while the heap
    /// or external grows).
    #[napi]
    pub fn evaluate(&mut self, now_ms: f64, heap: HeapNow) -> Vec<NativeAssessment> {
        self.last_heap = heap;
        self.observe(heap.external_bytes);
        if let Some(outside) = self.outside(heap.heap_total_bytes, heap.external_bytes) {
            self.rss.observe(outside);
            // RSS needs no GC to be read: with major GCs sparse (a heap that
            // holds still while native memory grows), one reading per
            // envelope bucket comes from the ticks, as its floor so far.
            if self.rss.starved(now_ms) {
                self.rss.push(now_ms, outside);
            }
        }
        let limits = self.limits(&heap);
        let now_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
        let heap_d = self.heap.evaluate(now_ms, &limits);
        let ext_d = self.external.evaluate(now_ms, &limits);
        // Memory outside the heap and external is judged only while neither
        // grows: V8's own bookkeeping grows with them, and RSS lags them.
        let heap_rise = self.heap_total_rise(now_ms, &heap);
        let known_growing = self.heap.growing(&heap_d.assessment, now_ms)
            || self.external.growing(&ext_d.assessment, now_ms);
        let mut out = vec![to_native(heap_d, now_epoch), to_native(ext_d, now_epoch)];
        if !known_growing {
            // The allocator may keep freed Buffer memory (glibc does for
            // chunks above its mmap threshold once it has risen): RSS outside
            // V8 can grow by up to the most external ever held without a leak.
            // And V8's own bookkeeping grows with its heap: the committed
            // heap's rise over the window is allowed too.
            self.rss.set_allowance(self.external.peak() + heap_rise);
            out.push(to_native(self.rss.evaluate(now_ms, &limits), now_epoch));
        }
        out
    }

    /// `external` seen between major GCs (after a minor GC, at a tick): it
    /// lowers the floor the next major GC's reading reports (src/watch/track.rs).
    #[napi]
    pub fn observe(&mut self, external_bytes: f64) {
        self.external.observe(external_bytes);
    }

    /// "urgent" or "starved" when a full GC is worth requesting now (see
    /// src/watch/cadence.rs), else absent; always absent with `forceGc: false`.
    #[napi]
    pub fn gc_due(&mut self, now_ms: f64, heap: HeapNow) -> Option<String> {
        self.last_heap = heap;
        let upper_bytes = heap.heap_used_bytes + heap.external_bytes;
        // Before the first major GC, the first call is the baseline.
        let (last_major_ms, last_live_bytes) =
            *self.last_major.get_or_insert((now_ms, upper_bytes));
        let policy = self.gc.as_ref()?;
        let l = self.limits(&heap);
        let headroom = [
            Some(l.heap_limit_bytes - heap.heap_used_bytes).filter(|_| l.heap_limit_bytes > 0.0),
            l.memory_limit_bytes
                .zip(l.memory_usage_bytes)
                .map(|(lim, used)| lim - used),
            l.rss_limit_bytes.map(|lim| lim - l.rss_bytes),
        ]
        .into_iter()
        .flatten()
        .fold(f64::INFINITY, f64::min);
        let upper = Upper {
            now_ms,
            last_major_ms,
            last_live_bytes,
            upper_bytes,
            headroom_bytes: headroom,
        };
        policy.due(&upper).map(|w| w.as_str().to_string())
    }

    /// Records a requested full GC and its pause, which spaces the next ones.
    #[napi]
    pub fn gc_done(&mut self, at_ms: f64, pause_ms: f64) {
        if let Some(p) = self.gc.as_mut() {
            p.forced(at_ms, pause_ms);
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

    fn limits(&self, heap: &HeapNow) -> Limits {
        let mem = self.reading(false);
        Limits {
            heap_used_bytes: heap.heap_used_bytes,
            heap_limit_bytes: heap.heap_limit_bytes,
            memory_limit_bytes: mem.cgroup.map(|c| c.limit_bytes),
            memory_usage_bytes: mem.cgroup.map(|c| c.usage_bytes),
            rss_bytes: mem.rss_bytes,
            rss_limit_bytes: heap.rss_limit_bytes.filter(|l| l.is_finite() && *l > 0.0),
        }
    }

    /// How far V8's committed heap rose over the last window (latest minus
    /// lowest); records `heap` first.
    fn heap_total_rise(&mut self, now_ms: f64, heap: &HeapNow) -> f64 {
        let total = heap.heap_total_bytes;
        if total.is_finite() && total >= 0.0 {
            self.heap_totals.push_back((now_ms, total));
        }
        while self
            .heap_totals
            .front()
            .is_some_and(|h| h.0 < now_ms - self.window_ms || self.heap_totals.len() > 4096)
        {
            self.heap_totals.pop_front();
        }
        let low = self
            .heap_totals
            .iter()
            .map(|h| h.1)
            .fold(f64::INFINITY, f64::min);
        if low.is_finite() {
            (total - low).max(0.0)
        } else {
            0.0
        }
    }

    /// RSS now (read at once, not the sampler's last) minus V8's committed
    /// heap and `external`: memory V8 knows nothing of.
    fn outside(&self, heap_total_bytes: f64, external_bytes: f64) -> Option<f64> {
        let rss = rss_bytes()
            .ok()
            .filter(|r| *r > 0.0)
            .unwrap_or(self.reading(false).rss_bytes);
        (rss > 0.0).then(|| (rss - heap_total_bytes - external_bytes).max(0.0))
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
fn checked(opts: NativeWatchOptions) -> Result<WatchOptions, Code> {
    options::resolve(&GivenOptions {
        interval_ms: Some(opts.interval_ms),
        window_ms: Some(opts.window_ms),
        min_growth_bytes_per_min: Some(opts.min_growth_bytes_per_min),
        confidence: Some(opts.confidence),
        warmup_ms: Some(opts.warmup_ms),
        urgent_horizon_ms: Some(opts.urgent_horizon_ms),
        force_gc: Some(opts.force_gc),
        snapshots: None,
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

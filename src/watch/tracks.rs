//! The watchdog's three memory series judged together: the live heap,
//! `external` (Buffers, ArrayBuffers) and RSS outside both, with the full-GC
//! policy that feeds them. One `Track` per series holds that series' rules
//! (track.rs); this module holds what ties them: RSS outside V8 is judged only
//! while the heap and external hold still, with an allowance for what the
//! allocator and V8's own bookkeeping keep, and the headroom that spaces
//! forced GCs is the nearest of the three limits. Pure: the glue (js/watch.rs)
//! reads the clock, `/proc` and the sampler and passes their figures in.

use std::collections::VecDeque;

use super::cadence::{GcPolicy, Upper, Why};
use super::detector::DetectorConfig;
use super::oom::Limits;
use super::options::WatchOptions;
use super::sampler::MemoryReading;
use super::track::{Kind, Track, TrackDecision};
use super::urgent::UrgentConfig;
use super::WatchError;

/// V8's figures at one moment (`v8.getHeapStatistics()`), bytes.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct HeapFigures {
    /// Heap used now: the live heap plus garbage not yet collected.
    pub heap_used_bytes: f64,
    /// Heap committed by V8.
    pub heap_total_bytes: f64,
    pub heap_limit_bytes: f64,
    /// Memory held by JS objects outside the heap (Buffers, ArrayBuffers).
    pub external_bytes: f64,
    /// What RSS runs into (constrained or physical memory), when known.
    pub rss_limit_bytes: Option<f64>,
}

/// Process memory outside V8 at one moment: RSS read at that moment (else
/// the sampler's last) and the sampler's reading (container usage, limit).
#[derive(Debug, Default, Clone, Copy)]
pub struct ProcessMemory {
    pub rss_now_bytes: Option<f64>,
    pub reading: MemoryReading,
}

/// Committed-heap readings kept: a window's worth at any sane cadence.
const MAX_HEAP_TOTALS: usize = 4096;

#[derive(Debug)]
pub struct MemoryTracks {
    heap: Track,
    external: Track,
    rss: Track,
    gc: Option<GcPolicy>,
    /// Time and live bytes (heap + external) of the last major GC.
    last_major: Option<(f64, f64)>,
    /// V8's figures at the last call that gave them.
    last_heap: HeapFigures,
    /// V8's committed heap at each evaluation of the last window: RSS
    /// outside V8 grows with V8's own bookkeeping when the heap grows.
    heap_totals: VecDeque<(f64, f64)>,
    window_ms: f64,
}

impl MemoryTracks {
    pub fn new(opts: &WatchOptions, started_at_ms: f64) -> Result<Self, WatchError> {
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
        )?;
        let track = |kind| Track::new(kind, cfg.clone(), urgent, started_at_ms);
        let gc = opts.force_gc.then(|| {
            GcPolicy::new(
                opts.interval_ms,
                opts.window_ms,
                opts.urgent_horizon_ms,
                opts.min_growth_bytes_per_min,
            )
        });
        Ok(MemoryTracks {
            heap: track(Kind::Heap)?,
            external: track(Kind::External)?,
            rss: track(Kind::Rss)?,
            gc,
            last_major: None,
            last_heap: HeapFigures::default(),
            heap_totals: VecDeque::new(),
            window_ms: opts.window_ms,
        })
    }

    /// Records the live heap and `external` measured right after a major GC
    /// at `t_ms`; `heap`, when given, is V8's figures at that moment (else
    /// the last ones). True when the urgent rule now holds for either series.
    pub fn add_sample(
        &mut self,
        t_ms: f64,
        live_bytes: f64,
        external_bytes: f64,
        heap: Option<HeapFigures>,
        mem: &ProcessMemory,
    ) -> bool {
        if let Some(h) = heap {
            self.last_heap = h;
        }
        self.heap.push(t_ms, live_bytes);
        self.external.push(t_ms, external_bytes);
        self.last_major = Some((t_ms, live_bytes + external_bytes));
        if let Some(outside) = outside(mem, self.last_heap.heap_total_bytes, external_bytes) {
            self.rss.push(t_ms, outside);
        }
        let limits = limits(&self.last_heap, &mem.reading);
        self.heap.urgent(t_ms, &limits).is_some() || self.external.urgent(t_ms, &limits).is_some()
    }

    /// `external` seen between major GCs: it lowers the floor the next major
    /// GC's reading reports (track.rs).
    pub fn observe(&mut self, external_bytes: f64) {
        self.external.observe(external_bytes);
    }

    /// The heap's decision, external's, then RSS's (left out while the heap
    /// or external grows: V8's bookkeeping grows with them, and RSS lags).
    pub fn evaluate(
        &mut self,
        now_ms: f64,
        heap: HeapFigures,
        mem: &ProcessMemory,
    ) -> Vec<TrackDecision> {
        self.last_heap = heap;
        self.observe(heap.external_bytes);
        if let Some(outside) = outside(mem, heap.heap_total_bytes, heap.external_bytes) {
            self.rss.observe(outside);
            // RSS needs no GC to be read: with major GCs sparse (a heap that
            // holds still while native memory grows), one reading per
            // envelope bucket comes from the evaluations, as its floor so far.
            if self.rss.starved(now_ms) {
                self.rss.push(now_ms, outside);
            }
        }
        let limits = limits(&heap, &mem.reading);
        let heap_d = self.heap.evaluate(now_ms, &limits);
        let ext_d = self.external.evaluate(now_ms, &limits);
        let heap_rise = self.heap_total_rise(now_ms, &heap);
        let known_growing = self.heap.growing(&heap_d.assessment, now_ms)
            || self.external.growing(&ext_d.assessment, now_ms);
        let mut out = vec![heap_d, ext_d];
        if !known_growing {
            // The allocator may keep freed Buffer memory (glibc does for
            // chunks above its mmap threshold once it has risen): RSS outside
            // V8 can grow by up to the most external ever held without a leak.
            // And V8's own bookkeeping grows with its heap: the committed
            // heap's rise over the window is allowed too.
            self.rss.set_allowance(self.external.peak() + heap_rise);
            out.push(self.rss.evaluate(now_ms, &limits));
        }
        out
    }

    /// Why a full GC is worth requesting now (cadence.rs), if it is; never
    /// without `forceGc`.
    pub fn gc_due(&mut self, now_ms: f64, heap: HeapFigures, mem: &MemoryReading) -> Option<Why> {
        self.last_heap = heap;
        let upper_bytes = heap.heap_used_bytes + heap.external_bytes;
        // Before the first major GC, the first call is the baseline.
        let (last_major_ms, last_live_bytes) =
            *self.last_major.get_or_insert((now_ms, upper_bytes));
        let policy = self.gc.as_ref()?;
        let upper = Upper {
            now_ms,
            last_major_ms,
            last_live_bytes,
            upper_bytes,
            headroom_bytes: headroom(&limits(&heap, mem)),
        };
        policy.due(&upper)
    }

    /// Records a requested full GC and its pause, which spaces the next ones.
    pub fn gc_done(&mut self, at_ms: f64, pause_ms: f64) {
        if let Some(p) = self.gc.as_mut() {
            p.forced(at_ms, pause_ms);
        }
    }

    /// How far V8's committed heap rose over the last window (latest minus
    /// lowest); records `heap` first.
    fn heap_total_rise(&mut self, now_ms: f64, heap: &HeapFigures) -> f64 {
        let total = heap.heap_total_bytes;
        if total.is_finite() && total >= 0.0 {
            self.heap_totals.push_back((now_ms, total));
        }
        while self.heap_totals.front().is_some_and(|h| {
            h.0 < now_ms - self.window_ms || self.heap_totals.len() > MAX_HEAP_TOTALS
        }) {
            self.heap_totals.pop_front();
        }
        let low = self
            .heap_totals
            .iter()
            .map(|h| h.1)
            .fold(f64::INFINITY, f64::min);
        if low.is_finite() && total.is_finite() {
            (total - low).max(0.0)
        } else {
            0.0
        }
    }
}

/// The limits a projection can run into, from V8's figures and the sampler's.
pub fn limits(heap: &HeapFigures, mem: &MemoryReading) -> Limits {
    Limits {
        heap_used_bytes: heap.heap_used_bytes,
        heap_limit_bytes: heap.heap_limit_bytes,
        memory_limit_bytes: mem.cgroup.map(|c| c.limit_bytes),
        memory_usage_bytes: mem.cgroup.map(|c| c.usage_bytes),
        rss_bytes: mem.rss_bytes,
        rss_limit_bytes: heap.rss_limit_bytes.filter(|l| l.is_finite() && *l > 0.0),
    }
}

/// Bytes left before the nearest limit (infinite with none).
fn headroom(l: &Limits) -> f64 {
    [
        Some(l.heap_limit_bytes - l.heap_used_bytes).filter(|_| l.heap_limit_bytes > 0.0),
        l.memory_limit_bytes
            .zip(l.memory_usage_bytes)
            .map(|(lim, used)| lim - used),
        l.rss_limit_bytes.map(|lim| lim - l.rss_bytes),
    ]
    .into_iter()
    .flatten()
    .fold(f64::INFINITY, f64::min)
}

/// RSS (read now, else the sampler's last) minus V8's committed heap and
/// `external`: memory V8 knows nothing of. None without an RSS figure.
fn outside(mem: &ProcessMemory, heap_total_bytes: f64, external_bytes: f64) -> Option<f64> {
    let rss = mem
        .rss_now_bytes
        .filter(|r| *r > 0.0)
        .unwrap_or(mem.reading.rss_bytes);
    (rss > 0.0).then(|| (rss - heap_total_bytes - external_bytes).max(0.0))
}

#[cfg(test)]
#[path = "tracks_tests.rs"]
mod tests;

//! One memory series under watch: the JS heap after major GCs, `external`
//! (Buffers, ArrayBuffers) after major GCs, or RSS outside V8's accounting.
//! Each runs the slow path's careful rules (detector.rs) and the urgent rule
//! (urgent.rs) on its own readings.
//!
//! The heap's reading after a major GC is its floor: the GC just removed the
//! garbage. `external` and RSS are not: V8 sweeps dead ArrayBuffers in the
//! background (and frees young ones at scavenges), so the figure read after a
//! major GC is the floor plus whatever Buffers happen to be alive or not yet
//! swept at that instant. Read at GC times that alias with a Buffer lifetime,
//! that instant value can drift up and down like a slow trend (a clean process
//! with 512 KiB Buffers alive 0.4 s raised a false alarm under CPU load). So
//! these series are also observed between major GCs (each GC batch, each
//! tick), and the reading a major GC contributes is the lowest value observed
//! since the previous one: the floor, which is what a leak lifts.

use std::collections::VecDeque;

use super::assessment::{Assessment, DetectorConfig, Event, State};
use super::detector::GrowthDetector;
use super::oom::{project, Limits, Projection};
use super::urgent::{self, Urgent, UrgentConfig, MAX_READINGS};
use super::WatchError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Heap,
    External,
    Rss,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Heap => "heap",
            Kind::External => "external",
            Kind::Rss => "rss",
        }
    }

    /// The series as its verdicts' reasons name it.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Heap => "live heap after major GC",
            Kind::External => {
                "external memory (Buffers, ArrayBuffers) at its floor between major GCs"
            }
            Kind::Rss => {
                "RSS outside the V8 heap and external memory, at its floor between major GCs"
            }
        }
    }

    /// Only the JS heap runs into V8's heap limit.
    fn in_heap(self) -> bool {
        self == Kind::Heap
    }

    /// Series whose instant value swings between major GCs (see above).
    fn floor_between_gcs(self) -> bool {
        self != Kind::Heap
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TrackDecision {
    pub kind: Kind,
    pub event: Option<Event>,
    pub assessment: Assessment,
    /// Set when the urgent rule holds now.
    pub urgent: Option<Urgent>,
    pub projection: Option<Projection>,
}

#[derive(Debug)]
pub struct Track {
    kind: Kind,
    detector: GrowthDetector,
    /// The newest readings, warm-up included: the urgent rule's input.
    recent: VecDeque<(f64, f64)>,
    urgent_cfg: UrgentConfig,
    started_at_ms: f64,
    /// Lowest value observed since the last reading (external and RSS only).
    lowest_since: Option<f64>,
    /// Highest value ever observed or read.
    peak: f64,
    /// Highest value observed since the last reading, and the deepest fall
    /// from such a high so far.
    high_since: f64,
    fall_since: f64,
    /// How far the value fell back between each reading and the one before
    /// (a leak only climbs; Buffers freed make it fall): the floor's own
    /// uncertainty.
    swings: VecDeque<(f64, f64)>,
    /// A rise the caller knows this series can show without a leak.
    allowance: f64,
}

/// Process age before RSS outside V8 is judged, ms (see `Track::new`).
pub const RSS_SETTLE_MS: f64 = 60_000.0;

/// Swings kept: a window's worth at the densest cadence that matters.
const MAX_SWINGS: usize = 256;

impl Track {
    pub fn new(
        kind: Kind,
        cfg: DetectorConfig,
        urgent_cfg: UrgentConfig,
        started_at_ms: f64,
    ) -> Result<Self, WatchError> {
        let mut cfg = cfg;
        if kind == Kind::Rss {
            // Native memory outside V8 ramps up over a process's first tens
            // of seconds (compiler zones, code pages touched, allocator
            // arenas, thread stacks; measured: +14 MiB over the first 12 s
            // of a plain Node 20 process on an idle machine, still rising at
            // 24 s under load): its readings count from RSS_SETTLE_MS of
            // process age (`t_ms` is `performance.now()`, from process start).
            cfg.warmup_ms = cfg.warmup_ms.max(RSS_SETTLE_MS - started_at_ms);
        }
        let mut detector = GrowthDetector::new(cfg, started_at_ms)?;
        detector.describe_series(kind.describe());
        Ok(Track {
            kind,
            detector,
            recent: VecDeque::with_capacity(MAX_READINGS + 1),
            urgent_cfg,
            started_at_ms,
            lowest_since: None,
            peak: 0.0,
            high_since: 0.0,
            fall_since: 0.0,
            swings: VecDeque::new(),
            allowance: 0.0,
        })
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// True while this series' rules see growth (suspected or reported), or
    /// its readings in the window rose at half the minimum at least, first
    /// to last, however few (major GCs may be too sparse for the rules).
    pub fn growing(&self, a: &Assessment, now_ms: f64) -> bool {
        let cfg = self.detector.config();
        let from = now_ms - cfg.window_ms;
        let first = self.recent.iter().find(|r| r.0 >= from);
        let rose = match (first, self.recent.back()) {
            (Some(first), Some(last)) if last.0 > first.0 => {
                (last.1 - first.1) / (last.0 - first.0) * 60_000.0
                    >= 0.5 * cfg.min_growth_bytes_per_min
            }
            _ => false,
        };
        rose || self.detector.is_leaking() || matches!(a.state, State::Suspected | State::Leak)
    }

    /// A value seen between major GCs: it only lowers the floor the next
    /// reading reports. Ignored for the heap, whose value between GCs holds
    /// garbage and can only over-state what the last GC measured.
    pub fn observe(&mut self, bytes: f64) {
        if self.kind.floor_between_gcs() && bytes.is_finite() && bytes >= 0.0 {
            self.lowest_since = Some(self.lowest_since.map_or(bytes, |m| m.min(bytes)));
            self.track_fall(bytes);
            self.peak = self.peak.max(bytes);
        }
    }

    fn track_fall(&mut self, bytes: f64) {
        self.high_since = self.high_since.max(bytes);
        self.fall_since = self.fall_since.max(self.high_since - bytes);
    }

    /// The highest value this series has shown (for external: the most
    /// Buffer memory held at once, which malloc may keep after it is freed).
    pub fn peak(&self) -> f64 {
        self.peak
    }

    /// True when the newest reading is older than one bucket of the lower
    /// envelope (a twelfth of the window), or there is none: for RSS, which
    /// needs no GC to be read, the caller then pushes one at a tick.
    pub fn starved(&self, now_ms: f64) -> bool {
        let bucket = self.detector.config().window_ms / super::floor::BUCKETS as f64;
        self.recent.back().is_none_or(|r| now_ms - r.0 >= bucket)
    }

    /// A rise this series can show without a leak (for RSS outside V8: the
    /// most external ever held, which the allocator may keep once freed).
    pub fn set_allowance(&mut self, bytes: f64) {
        if bytes.is_finite() && bytes >= 0.0 {
            self.allowance = bytes;
        }
    }

    /// The upper-quartile fall of the value between readings in the window: a floor
    /// sampled from a value that falls back this far between major GCs
    /// (Buffers allocated and freed) is uncertain by as much, so a rise of
    /// the floor smaller than that is not evidence of a leak. A leak only
    /// climbs between GCs, so its own growth does not count here.
    fn swing(&self, now_ms: f64) -> f64 {
        let from = now_ms - self.detector.config().window_ms;
        let mut in_window: Vec<f64> = self
            .swings
            .iter()
            .filter(|s| s.0 >= from)
            .map(|s| s.1)
            .collect();
        // The upper quartile: GCs that free Buffers alternate with ones that
        // find none to free, and the median can land on either.
        in_window.sort_by(f64::total_cmp);
        in_window
            .get(in_window.len() * 3 / 4)
            .copied()
            .unwrap_or(0.0)
    }

    /// The reading after a major GC at `t_ms`. For external and RSS the
    /// series takes the lowest value observed since the previous reading.
    pub fn push(&mut self, t_ms: f64, bytes: f64) {
        if !t_ms.is_finite() || !bytes.is_finite() || bytes < 0.0 {
            return;
        }
        if self.recent.back().is_some_and(|r| t_ms <= r.0) {
            return;
        }
        self.peak = self.peak.max(bytes);
        if self.kind.floor_between_gcs() {
            self.track_fall(bytes);
            self.swings.push_back((t_ms, self.fall_since));
            if self.swings.len() > MAX_SWINGS {
                self.swings.pop_front();
            }
            // The next interval starts from this reading.
            self.high_since = bytes;
            self.fall_since = 0.0;
        }
        let bytes = self.lowest_since.take().map_or(bytes, |m| m.min(bytes));
        self.detector.push(t_ms, bytes);
        self.recent.push_back((t_ms, bytes));
        while self.recent.len() > MAX_READINGS {
            self.recent.pop_front();
        }
    }

    /// The urgent verdict on the readings so far, without deciding anything.
    /// During warm-up only a limit reached before another warm-up has passed
    /// counts: a start-up grows fast too, but it levels off.
    pub fn urgent(&self, now_ms: f64, limits: &Limits) -> Option<Urgent> {
        // RSS outside V8 moves with V8's own bookkeeping and page commits:
        // only the careful rules judge it.
        if self.kind == Kind::Rss {
            return None;
        }
        let cfg = self.detector.config();
        let mut u = self.urgent_cfg;
        if now_ms < self.started_at_ms + cfg.warmup_ms {
            u.horizon_ms = u.horizon_ms.min(cfg.warmup_ms);
        }
        urgent::assess(&self.recent, limits, self.kind.in_heap(), &u)
    }

    /// The slow path's decision; an urgent verdict raises the alarm at once
    /// when the slow path has not.
    pub fn evaluate(&mut self, now_ms: f64, limits: &Limits) -> TrackDecision {
        let floor_noise = self.swing(now_ms).max(self.allowance);
        self.detector.set_min_rise(floor_noise);
        let d = self.detector.evaluate(now_ms);
        let mut a = d.assessment;
        let mut event = d.event;
        let urgent = self.urgent(now_ms, limits);
        if let Some(u) = &urgent {
            if event == Some(Event::Recovered) {
                // The slow path lost sight of it (too few readings since the
                // warm-up); the urgent rule still sees it rise.
                self.detector.mark_leaking(now_ms);
                event = None;
            } else if event.is_none() && !self.detector.is_leaking() {
                self.detector.mark_leaking(now_ms);
                event = Some(Event::Leak);
                a.state = State::Leak;
                a.growth_bytes_per_min = u.growth_bytes_per_min;
                a.recent_growth_bytes_per_min = u.growth_bytes_per_min;
                a.confidence = 1.0 - u.p_value;
                a.samples = u.readings;
                a.points = u.readings;
                a.span_ms = u.span_ms;
                a.window_ms = u.span_ms;
                a.reason = u.reason.clone();
            }
        }
        let projection = urgent
            .as_ref()
            .map(|u| u.projection)
            .or_else(|| project(a.growth_bytes_per_min, limits, self.kind.in_heap()));
        TrackDecision {
            kind: self.kind,
            event,
            assessment: a,
            urgent,
            projection,
        }
    }
}

#[cfg(test)]
#[path = "track_tests.rs"]
mod tests;

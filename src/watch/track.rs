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

/// Swings kept: a window's worth at the densest cadence that matters.
const MAX_SWINGS: usize = 256;

impl Track {
    pub fn new(
        kind: Kind,
        cfg: DetectorConfig,
        urgent_cfg: UrgentConfig,
        started_at_ms: f64,
    ) -> Result<Self, WatchError> {
        Ok(Track {
            kind,
            detector: GrowthDetector::new(cfg, started_at_ms)?,
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
mod tests {
    use super::*;
    use crate::watch::detector::GrowthDetector;

    const MIB: f64 = 1024.0 * 1024.0;

    fn track(kind: Kind) -> Track {
        let cfg = DetectorConfig {
            window_ms: 600_000.0,
            min_growth_bytes_per_min: MIB,
            confidence: 0.95,
            warmup_ms: 60_000.0,
        };
        let u = UrgentConfig {
            horizon_ms: 900_000.0,
            min_span_ms: 10_000.0,
            min_growth_bytes_per_min: MIB,
        };
        Track::new(kind, cfg, u, 0.0).unwrap()
    }

    fn small_heap() -> Limits {
        Limits {
            heap_used_bytes: 120.0 * MIB,
            heap_limit_bytes: 256.0 * MIB,
            ..Limits::default()
        }
    }

    #[test]
    fn a_fast_leak_is_reported_during_warm_up_and_once() {
        let mut t = track(Kind::Heap);
        let mut events = Vec::new();
        for i in 0..10 {
            let at = 5000.0 * f64::from(i + 1);
            t.push(at, 30.0 * MIB + 30.0 * MIB * f64::from(i));
            let d = t.evaluate(at, &small_heap());
            if let Some(e) = d.event {
                events.push((i, e, d.urgent.is_some(), d.assessment.state));
            }
        }
        assert_eq!(events, vec![(4, Event::Leak, true, State::Leak)]);
    }

    #[test]
    fn the_slow_path_does_not_call_off_an_urgent_leak_it_cannot_see() {
        let mut t = track(Kind::Heap);
        let mut events = Vec::new();
        // Readings every 12 s: past warm-up the long window holds too few.
        for i in 0..12 {
            let at = 12_000.0 * f64::from(i + 1);
            t.push(at, 30.0 * MIB + 12.0 * MIB * f64::from(i));
            let limits = Limits {
                heap_used_bytes: 30.0 * MIB + 12.0 * MIB * f64::from(i),
                heap_limit_bytes: 400.0 * MIB,
                ..Limits::default()
            };
            if let Some(e) = t.evaluate(at, &limits).event {
                events.push(e);
            }
        }
        assert_eq!(events, vec![Event::Leak]);
    }

    /// Buffers alive 0.4 s saw external between 10 and 20 MiB; major GCs
    /// every 1.01 s land ever later in that cycle, so their instant readings
    /// climb 10 -> 14 MiB over 16 s: a perfect trend that is not there.
    /// Returns the leak events of the bare detector on those instant
    /// readings (as the external series was judged before) and of a track
    /// that also observes external at each 100 ms tick.
    fn aliased() -> (Vec<f64>, Vec<f64>) {
        let cfg = DetectorConfig {
            window_ms: 8000.0,
            min_growth_bytes_per_min: 5.0 * MIB,
            confidence: 0.95,
            warmup_ms: 2000.0,
        };
        let u = UrgentConfig::new(100.0, 900_000.0, 5.0 * MIB).unwrap();
        let mut t = Track::new(Kind::External, cfg.clone(), u, 0.0).unwrap();
        let mut bare = GrowthDetector::new(cfg, 0.0).unwrap();
        let live = |ms: f64| 10.0 * MIB + 10.0 * MIB * ((ms % 400.0) / 400.0);
        let (mut before, mut after) = (Vec::new(), Vec::new());
        for tick in 1..300 {
            let now = 100.0 * f64::from(tick);
            t.observe(live(now));
            let gc = (now / 1010.0).floor() * 1010.0;
            if gc > now - 100.0 && gc > 0.0 {
                t.push(gc, live(gc));
                bare.push(gc, live(gc));
            }
            if bare.evaluate(now).event == Some(Event::Leak) {
                before.push(now);
            }
            if t.evaluate(now, &Limits::default()).event == Some(Event::Leak) {
                after.push(now);
            }
        }
        (before, after)
    }

    #[test]
    fn external_is_judged_on_its_floor_between_gcs_not_its_instant_value() {
        let (before, after) = aliased();
        assert!(!before.is_empty(), "the instant readings alias");
        assert_eq!(after, Vec::<f64>::new());
    }

    #[test]
    fn the_heap_ignores_values_between_gcs() {
        let mut t = track(Kind::Heap);
        t.observe(MIB);
        t.push(1000.0, 5.0 * MIB);
        assert_eq!(t.recent.back(), Some(&(1000.0, 5.0 * MIB)));
        let mut e = track(Kind::External);
        e.observe(3.0 * MIB);
        e.observe(2.0 * MIB);
        e.push(1000.0, 5.0 * MIB);
        e.push(2000.0, 6.0 * MIB);
        assert_eq!(
            e.recent,
            VecDeque::from(vec![(1000.0, 2.0 * MIB), (2000.0, 6.0 * MIB)])
        );
    }

    #[test]
    fn rss_rising_by_less_than_the_external_peak_is_not_a_leak() {
        let run = |min_rise: f64| {
            let mut t = track(Kind::Rss);
            t.set_allowance(min_rise);
            let mut leaks = 0;
            // 2 MiB/min for 20 min: 40 MiB over the run, ~20 per window.
            for i in 1..=240 {
                let at = 5000.0 * f64::from(i);
                t.push(at, 50.0 * MIB + 2.0 * MIB * at / 60_000.0);
                leaks += usize::from(t.evaluate(at, &Limits::default()).event == Some(Event::Leak));
            }
            leaks
        };
        assert!(run(0.0) > 0);
        assert_eq!(run(80.0 * MIB), 0);
    }

    #[test]
    fn a_series_without_a_reading_for_a_bucket_is_starved() {
        let mut t = track(Kind::Rss);
        assert!(t.starved(0.0));
        t.push(1000.0, MIB);
        // One bucket of the 600 s window: 50 s.
        assert!(!t.starved(50_999.0));
        assert!(t.starved(51_000.0));
    }

    #[test]
    fn readings_out_of_order_are_dropped() {
        let mut t = track(Kind::External);
        t.push(5000.0, MIB);
        t.push(4000.0, 2.0 * MIB);
        t.push(f64::NAN, 2.0 * MIB);
        assert_eq!(t.recent.len(), 1);
        assert_eq!(t.kind().as_str(), "external");
    }
}

//! One memory series under watch: the JS heap after major GCs, `external`
//! (Buffers, ArrayBuffers) after major GCs, or RSS outside V8's accounting.
//! Each runs the slow path's careful rules (detector.rs) and the urgent rule
//! (urgent.rs) on its own readings.

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
}

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
        })
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// True while this series' rules see growth (suspected or reported).
    pub fn growing(&self, a: &Assessment) -> bool {
        self.detector.is_leaking() || matches!(a.state, State::Suspected | State::Leak)
    }

    pub fn push(&mut self, t_ms: f64, bytes: f64) {
        if !t_ms.is_finite() || !bytes.is_finite() || bytes < 0.0 {
            return;
        }
        if self.recent.back().is_some_and(|r| t_ms <= r.0) {
            return;
        }
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

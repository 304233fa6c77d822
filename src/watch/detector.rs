//! The leak decision. Input: the live heap measured right after each major GC
//! (the "post-GC floor"). A leak is declared only when all of these hold over the
//! analysis window:
//! - the lower envelope (per-bucket minima) rises at a Theil-Sen slope of at
//!   least `min_growth_bytes_per_min`, with Mann-Kendall confidence at least
//!   `confidence`: minima make a transient batch invisible, and both statistics
//!   are rank based so one odd reading cannot carry the decision;
//! - the recent half still rises (a cache that warmed up and then plateaued
//!   shows a flat recent half), and not much slower than the whole window;
//! - the minimum of the last third exceeds the minimum of the first third by a
//!   good part of what the slope predicts (a heavy sawtooth returns to the same
//!   floor, a leak does not);
//! - the maximum rises too: a leak lifts the whole band of readings, while
//!   GCs that stop landing in a sawtooth's troughs lift only its floor.
//!
//! A leak that would exhaust a limit soon does not wait for any of this: see
//! urgent.rs (and track.rs, which runs both).
//!
//! The first alarm also waits for the next reading to confirm it (confirm.rs).

use std::collections::VecDeque;

pub use super::assessment::{Assessment, Decision, DetectorConfig, Event, State};
use super::confirm::Confirmation;
use super::floor::human;
use super::rules::{assess_window, not_borne_out, Thresholds, MIN_RECENT_POINTS};
use super::WatchError;

/// Few major GCs (a big heap grows its GC trigger): the window stretches back
/// to hold this many readings, up to `MAX_STRETCH` windows, so such a process
/// is judged later rather than never. Only while readings keep coming.
const STRETCH_POINTS: usize = 7;
const MAX_STRETCH: f64 = 4.0;
/// Bounds memory under a GC storm; the envelope only needs a few per bucket.
const MAX_SAMPLES: usize = 4096;

#[derive(Debug)]
pub struct GrowthDetector {
    cfg: DetectorConfig,
    started_at_ms: f64,
    samples: VecDeque<(f64, f64)>,
    last_live: f64,
    leaking: bool,
    last_leak_event_ms: f64,
    /// The first alarm waits for the next reading (see confirm.rs).
    confirmation: Confirmation<Assessment>,
    /// A floor rise below this is not a leak (see `set_min_rise`).
    min_rise_bytes: f64,
    /// What the readings are, named in reasons (see `describe_series`).
    series: &'static str,
}

impl GrowthDetector {
    pub fn new(cfg: DetectorConfig, started_at_ms: f64) -> Result<Self, WatchError> {
        cfg.validate()?;
        Ok(GrowthDetector {
            cfg,
            started_at_ms,
            samples: VecDeque::new(),
            last_live: 0.0,
            leaking: false,
            last_leak_event_ms: f64::NEG_INFINITY,
            confirmation: Confirmation::default(),
            min_rise_bytes: 0.0,
            series: "live heap after major GC",
        })
    }

    /// Names the series in the reasons this detector gives (a watchdog runs
    /// one detector per series: heap, external, RSS outside V8).
    pub fn describe_series(&mut self, series: &'static str) {
        self.series = series;
    }

    pub fn config(&self) -> &DetectorConfig {
        &self.cfg
    }

    pub fn is_leaking(&self) -> bool {
        self.leaking
    }

    /// A rise of the floor smaller than `bytes` over the window cannot be
    /// told from what else moves this series (track.rs: how far external
    /// swings between major GCs; for RSS outside V8 also the memory the
    /// allocator may keep after Buffers are freed); such a window is at most
    /// suspected.
    pub fn set_min_rise(&mut self, bytes: f64) {
        if bytes.is_finite() && bytes >= 0.0 {
            self.min_rise_bytes = bytes;
        }
    }

    /// Another rule (the urgent one) raised the alarm: repeats and the
    /// recovery follow from here as if this detector had raised it.
    pub fn mark_leaking(&mut self, now_ms: f64) {
        self.leaking = true;
        self.last_leak_event_ms = now_ms;
    }

    /// Records the live heap after a major GC. Readings taken during warm-up
    /// are not kept: start-up allocation is growth that is not a leak.
    pub fn push(&mut self, t_ms: f64, live_bytes: f64) {
        if !t_ms.is_finite() || !live_bytes.is_finite() || live_bytes < 0.0 {
            return;
        }
        self.last_live = live_bytes;
        if t_ms < self.started_at_ms + self.cfg.warmup_ms {
            return;
        }
        self.samples.push_back((t_ms, live_bytes));
        let horizon = t_ms - MAX_STRETCH * self.cfg.window_ms;
        while self.samples.front().is_some_and(|s| s.0 < horizon)
            || self.samples.len() > MAX_SAMPLES
        {
            self.samples.pop_front();
        }
    }

    pub fn evaluate(&mut self, now_ms: f64) -> Decision {
        // A leak under a heavy sawtooth needs more time to stand out of the
        // scatter: when the window shows none, twice the window is checked.
        // Conversely, a trend in the window that twice the window does not
        // bear out (`veto`) is aliasing between the GC cadence and a
        // periodic pattern, not a leak.
        let mut base = self.assess(now_ms, self.effective_window(now_ms));
        let w = self.cfg.window_ms;
        let wide =
            (base.samples > 0 && base.window_ms < 2.0 * w).then(|| self.assess(now_ms, 2.0 * w));
        if base.state == State::Leak {
            self.veto(&mut base, now_ms);
        }
        let gone = self.trend_is_gone(&base) && wide.as_ref().is_none_or(|w| self.trend_is_gone(w));
        let mut assessment = match wide {
            Some(mut wa) if base.state != State::Leak && wa.state == State::Leak => {
                self.veto(&mut wa, now_ms);
                wa
            }
            _ => base,
        };
        if !self.leaking {
            self.confirm(&mut assessment);
        }
        let event = match assessment.state {
            State::Leak if !self.leaking => {
                self.leaking = true;
                self.last_leak_event_ms = now_ms;
                Some(Event::Leak)
            }
            State::Leak if now_ms - self.last_leak_event_ms >= self.cfg.window_ms / 2.0 => {
                self.last_leak_event_ms = now_ms;
                Some(Event::Leak)
            }
            State::Leak => None,
            _ if self.leaking && gone => {
                self.leaking = false;
                Some(Event::Recovered)
            }
            _ => None,
        };
        Decision { event, assessment }
    }

    /// Demotes a "leak" verdict over `a.window_ms` to suspected when
    /// - twice that window, where history holds it, does not bear it out
    ///   (rules.rs `not_borne_out`): one flank of a slow beat between the GC
    ///   cadence and a periodic pattern;
    /// - the floor rose less than this series moves by without a leak
    ///   (`set_min_rise`).
    ///
    /// A pending verdict is withdrawn too: the next reading may not confirm
    /// what the wider view contradicts.
    fn veto(&mut self, a: &mut Assessment, now_ms: f64) {
        let history = self.samples.front().map_or(0.0, |s| now_ms - s.0);
        let wide = 2.0 * a.window_ms;
        let reason = if history >= 0.75 * wide && wide <= MAX_STRETCH * self.cfg.window_ms {
            not_borne_out(&self.samples, now_ms, wide, &self.thresholds())
        } else {
            None
        };
        let reason = reason.or_else(|| {
            (a.floor_rise_bytes < self.min_rise_bytes).then(|| {
                format!(
                    "the floor rose {}, within the {} this series moves by without a leak \
                     (Buffers alive between major GCs, memory the allocator keeps after \
                     freeing them)",
                    human(a.floor_rise_bytes),
                    human(self.min_rise_bytes)
                )
            })
        });
        if let Some(reason) = reason {
            a.state = State::Suspected;
            a.reason = reason;
            self.confirmation.withdraw();
        }
    }

    /// Holds back the first alarm until the reading after the verdict
    /// confirms it; the assessment says "suspected" meanwhile.
    fn confirm(&mut self, a: &mut Assessment) {
        let next = self
            .confirmation
            .waiting_after()
            .and_then(|after_ms| self.samples.iter().find(|r| r.0 > after_ms).map(|r| r.1));
        if let Some(verdict) = self.confirmation.settle(next) {
            if a.state != State::Leak {
                // The window moved on meanwhile; the verdict is what the new
                // reading confirmed.
                *a = Assessment {
                    live_heap_bytes: self.last_live,
                    ..verdict
                };
            }
            a.reason = format!("{}; confirmed by the next major GC", a.reason);
        } else if a.state == State::Leak {
            let threshold = a.floor_start_bytes + 0.5 * a.floor_rise_bytes;
            let latest_ms = self.samples.back().map_or(f64::NEG_INFINITY, |r| r.0);
            self.confirmation.propose(latest_ms, threshold, a.clone());
            a.state = State::Suspected;
            a.reason = format!("awaiting confirmation by the next major GC: {}", a.reason);
        }
    }

    fn thresholds(&self) -> Thresholds {
        Thresholds {
            min_growth_bytes_per_min: self.cfg.min_growth_bytes_per_min,
            confidence: self.cfg.confidence,
            series: self.series,
        }
    }

    fn trend_is_gone(&self, a: &Assessment) -> bool {
        let min = self.cfg.min_growth_bytes_per_min;
        match a.state {
            // No major GC over a whole window: the old generation is not
            // growing fast enough to trigger one.
            State::Insufficient => a.samples < 2,
            State::Steady | State::Suspected => {
                (a.recent_points >= MIN_RECENT_POINTS && a.recent_growth_bytes_per_min < 0.25 * min)
                    || a.growth_bytes_per_min < 0.5 * min
                    || a.confidence < 0.5
            }
            State::Warmup | State::Leak => false,
        }
    }

    fn effective_window(&self, now_ms: f64) -> f64 {
        let w = self.cfg.window_ms;
        let recent = self.samples.iter().filter(|s| s.0 >= now_ms - w).count();
        if recent == 0 || recent >= STRETCH_POINTS {
            return w;
        }
        let oldest_needed = self
            .samples
            .iter()
            .rev()
            .nth(STRETCH_POINTS - 1)
            .or(self.samples.front())
            .map_or(now_ms, |s| s.0);
        // A hair past the reading so it falls inside the first bucket.
        (now_ms - oldest_needed + 1.0).clamp(w, MAX_STRETCH * w)
    }

    fn assess(&self, now_ms: f64, window: f64) -> Assessment {
        let mut a = Assessment {
            state: State::Insufficient,
            growth_bytes_per_min: 0.0,
            recent_growth_bytes_per_min: 0.0,
            recent_points: 0,
            confidence: 0.0,
            samples: 0,
            points: 0,
            span_ms: 0.0,
            window_ms: self.cfg.window_ms,
            floor_rise_bytes: 0.0,
            floor_start_bytes: 0.0,
            live_heap_bytes: self.last_live,
            reason: String::new(),
        };
        if now_ms < self.started_at_ms + self.cfg.warmup_ms {
            a.state = State::Warmup;
            a.reason = "warming up: readings before warmupMs are ignored".into();
            return a;
        }
        assess_window(&self.samples, now_ms, window, &self.thresholds(), &mut a);
        a
    }
}

#[cfg(test)]
#[path = "detector_tests.rs"]
mod tests;

//! When the watchdog asks V8 for a full GC. The detector's evidence is the
//! live memory measured right after major GCs, and V8 runs those rarely on a
//! heap that has room to grow: minutes apart, so a leak can go unjudged for
//! that long. Between major GCs the old generation's size (and `external`)
//! can only over-state what is live, so it cannot prove a leak, but it can
//! tell when a measurement is worth its cost. A full GC is requested when:
//! - urgent: at the rate the upper bound rose since the last major GC, the
//!   nearest limit would be reached within the horizon; at most one per
//!   `max(intervalMs, 100 x the last forced pause)` (<= 1% of the time); when
//!   the limit is fewer than 4 ticks away, `max(250 ms, 100 x the pause)`;
//! - starved: no major GC for `windowMs / 12` (one bucket of the lower
//!   envelope, which keeps one reading per bucket) while the upper bound rose
//!   at least at `minGrowthBytesPerMin`; at most one per
//!   `max(windowMs / 12, 200 x the last forced pause)` (<= 0.5% of the time).
//!
//! Bound: every envelope bucket gets a reading whatever V8's own cadence, so
//! a steady leak above `minGrowthBytesPerMin` is judged as if major GCs came
//! every `windowMs / 12`: reported by `warmupMs + windowMs` plus two readings
//! (the confirmation); a leak that would exhaust a limit within the horizon
//! gets a reading every `intervalMs` (or its cost spacing) and is reported at
//! the fifth (urgent.rs).

const STARVED_SHARE: f64 = 1.0 / 12.0;
const URGENT_COST: f64 = 100.0;
const STARVED_COST: f64 = 200.0;
const MS_PER_MIN: f64 = 60_000.0;
/// A limit projected within this many ticks is checked between ticks (on
/// GC batches) and its readings requested at most every `FAST_MIN_GAP_MS`
/// or 100 x the last forced pause, whichever is longer.
pub const FASTER_THAN_TICKS: f64 = 4.0;
const FAST_MIN_GAP_MS: f64 = 250.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    Urgent,
    Starved,
}

impl Why {
    pub fn as_str(self) -> &'static str {
        match self {
            Why::Urgent => "urgent",
            Why::Starved => "starved",
        }
    }
}

/// What the JS side sees now, against the last major GC's reading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Upper {
    pub now_ms: f64,
    /// Time and live bytes (heap + external) of the last major GC.
    pub last_major_ms: f64,
    pub last_live_bytes: f64,
    /// Old generation used + external now: an upper bound of what is live.
    pub upper_bytes: f64,
    /// Room left under the nearest limit.
    pub headroom_bytes: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GcPolicy {
    pub interval_ms: f64,
    pub window_ms: f64,
    pub horizon_ms: f64,
    pub min_growth_bytes_per_min: f64,
    last_forced_ms: f64,
    last_pause_ms: f64,
}

impl GcPolicy {
    pub fn new(interval_ms: f64, window_ms: f64, horizon_ms: f64, min_growth: f64) -> Self {
        GcPolicy {
            interval_ms,
            window_ms,
            horizon_ms,
            min_growth_bytes_per_min: min_growth,
            last_forced_ms: f64::NEG_INFINITY,
            last_pause_ms: 0.0,
        }
    }

    /// Records a forced GC and what it cost.
    pub fn forced(&mut self, at_ms: f64, pause_ms: f64) {
        self.last_forced_ms = at_ms;
        if pause_ms.is_finite() && pause_ms >= 0.0 {
            self.last_pause_ms = pause_ms;
        }
    }

    pub fn due(&self, u: &Upper) -> Option<Why> {
        let since_major = u.now_ms - u.last_major_ms;
        let since_forced = u.now_ms - self.last_forced_ms;
        if !(since_major.is_finite() && since_major > 0.0) {
            return None;
        }
        let rate = (u.upper_bytes - u.last_live_bytes) / since_major;
        if rate.is_nan() || rate <= 0.0 {
            return None;
        }
        let to_oom = u.headroom_bytes / rate;
        // A limit a few ticks away: readings cannot wait for the next tick,
        // only for the cost rule (and a floor against a GC storm).
        let step = if to_oom < FASTER_THAN_TICKS * self.interval_ms {
            FAST_MIN_GAP_MS
        } else {
            self.interval_ms
        };
        if since_major < step {
            return None;
        }
        let urgent_gap = step.max(URGENT_COST * self.last_pause_ms);
        if to_oom < self.horizon_ms && since_forced >= urgent_gap {
            return Some(Why::Urgent);
        }
        let starved_after = self.window_ms * STARVED_SHARE;
        let starved_gap = starved_after.max(STARVED_COST * self.last_pause_ms);
        let min_rate = self.min_growth_bytes_per_min / MS_PER_MIN;
        (since_major >= starved_after && rate >= min_rate && since_forced >= starved_gap)
            .then_some(Why::Starved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: f64 = 1024.0 * 1024.0;

    fn policy() -> GcPolicy {
        GcPolicy::new(5000.0, 600_000.0, 300_000.0, MIB)
    }

    fn upper(now: f64, rise_mib: f64, headroom_mib: f64) -> Upper {
        Upper {
            now_ms: now,
            last_major_ms: 0.0,
            last_live_bytes: 50.0 * MIB,
            upper_bytes: (50.0 + rise_mib) * MIB,
            headroom_bytes: headroom_mib * MIB,
        }
    }

    #[test]
    fn a_fast_rise_toward_a_near_limit_is_urgent() {
        assert_eq!(policy().due(&upper(6000.0, 40.0, 150.0)), Some(Why::Urgent));
    }

    #[test]
    fn urgent_requests_are_spaced_by_their_cost() {
        let mut p = policy();
        p.forced(6000.0, 200.0);
        // 100 x 200 ms = 20 s between requests.
        assert_eq!(p.due(&upper(12_000.0, 40.0, 150.0)), None);
        assert_eq!(p.due(&upper(26_000.0, 40.0, 150.0)), Some(Why::Urgent));
    }

    #[test]
    fn a_quiet_heap_is_left_alone() {
        assert_eq!(policy().due(&upper(60_000.0, 0.5, 4000.0)), None);
        assert_eq!(policy().due(&upper(60_000.0, -3.0, 4000.0)), None);
    }

    #[test]
    fn a_starved_detector_gets_a_reading_now_and_then() {
        let p = policy();
        // 10 MiB in 60 s with no major GC for 60 s > 600 s / 12.
        assert_eq!(p.due(&upper(60_000.0, 10.0, 4000.0)), Some(Why::Starved));
        assert_eq!(p.due(&upper(40_000.0, 10.0, 4000.0)), None);
        let mut costly = policy();
        costly.forced(0.0, 500.0);
        assert_eq!(costly.due(&upper(60_000.0, 10.0, 4000.0)), None);
    }

    #[test]
    fn a_limit_a_few_ticks_away_gets_readings_between_ticks() {
        let mut p = policy();
        p.forced(0.0, 10.0);
        // 40 MiB in 1 s with 70 MiB left: the limit is under 2 s away.
        assert_eq!(p.due(&upper(1000.0, 40.0, 70.0)), Some(Why::Urgent));
        // Still spaced by the cost rule: 100 x 10 ms.
        assert_eq!(p.due(&upper(900.0, 40.0, 70.0)), None);
    }

    #[test]
    fn nothing_before_an_interval_has_passed() {
        // 40 MiB/s with 1000 MiB left: 25 s, more than four ticks away.
        assert_eq!(policy().due(&upper(1000.0, 40.0, 1000.0)), None);
    }
}

//! What the detector is configured with and what it concludes: the options
//! (validated), the state of the heap's trend, and the figures behind it.

use super::options::{CONFIDENCE, MIN_GROWTH_BYTES_PER_MIN, WARMUP_MS, WINDOW_MS};
use super::WatchError;

#[derive(Debug, Clone, PartialEq)]
pub struct DetectorConfig {
    pub window_ms: f64,
    pub min_growth_bytes_per_min: f64,
    pub confidence: f64,
    pub warmup_ms: f64,
}

impl DetectorConfig {
    /// Against the watchdog's option schema (options.rs), the one place
    /// these ranges live.
    pub fn validate(&self) -> Result<(), WatchError> {
        WINDOW_MS.check(self.window_ms)?;
        MIN_GROWTH_BYTES_PER_MIN.check(self.min_growth_bytes_per_min)?;
        CONFIDENCE.check(self.confidence)?;
        WARMUP_MS.check(self.warmup_ms)?;
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Warmup,
    Insufficient,
    Steady,
    Suspected,
    Leak,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Warmup => "warmup",
            State::Insufficient => "insufficient",
            State::Steady => "steady",
            State::Suspected => "suspected",
            State::Leak => "leak",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Leak,
    Recovered,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub state: State,
    pub growth_bytes_per_min: f64,
    pub recent_growth_bytes_per_min: f64,
    /// Envelope points in the recent half; its slope means little below 3.
    pub recent_points: usize,
    pub confidence: f64,
    /// Raw post-GC readings in the window.
    pub samples: usize,
    /// Lower-envelope points the statistics ran on.
    pub points: usize,
    pub span_ms: f64,
    /// The window analysed: `window_ms`, or longer when major GCs are sparse.
    pub window_ms: f64,
    pub floor_rise_bytes: f64,
    /// Minimum of the window's first third, where `floor_rise_bytes` starts.
    pub floor_start_bytes: f64,
    /// Latest post-GC reading, 0 before the first one.
    pub live_heap_bytes: f64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub event: Option<Event>,
    pub assessment: Assessment,
}

//! The slow path's decision rules, one function each, over the figures of one
//! analysis window (see detector.rs for why each rule is there). A window
//! passes when every rule lets it through; the first rule that does not names
//! the reason.

use std::collections::VecDeque;

use super::assessment::{Assessment, State};
use super::floor::{ceiling_rise, envelope, floor_rise, human, spread};
use super::trend::{mann_kendall, theil_sen};

pub const MIN_POINTS: usize = 5;
pub const MIN_RECENT_POINTS: usize = 3;
/// The envelope must span this share of the window before anything is decided.
const MIN_COVERAGE: f64 = 0.5;
const RECENT_MIN_CONFIDENCE: f64 = 0.8;
/// A filling cache slows down (exponentially); a leak keeps its pace. The
/// recent half must grow at least this share of the early half's rate.
const DECELERATION: f64 = 0.6;
/// The rise over the window must clear the readings' scatter around the
/// trend by this factor: transient data (a batch alive at some GCs and not
/// others) scatters the readings by its own size.
const SCATTER_K: f64 = 1.5;
const SUSPECT_MIN_CONFIDENCE: f64 = 0.8;
/// Share of the trend's predicted rise the highest readings must show too.
const CEILING_SHARE: f64 = 0.3;
pub const MS_PER_MIN: f64 = 60_000.0;

/// What one window shows: the statistics every rule reads.
struct Figures {
    slope: f64,
    conf: f64,
    early_slope: f64,
    recent_slope: f64,
    recent_conf: f64,
    newest_slope: f64,
    rise: f64,
    rise_dt: f64,
    rise_start: f64,
    total_rise: f64,
    scatter: f64,
    ceiling: f64,
}

/// The window's thresholds: the minimum growth, and the confidence.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    pub min_growth_bytes_per_min: f64,
    pub confidence: f64,
    /// What the readings are, for the verdict's reason ("live heap after
    /// major GC", ...): the rules are the same for every series.
    pub series: &'static str,
}

type Rule = fn(&Figures, &Thresholds) -> Option<String>;

const RULES: [Rule; 6] = [
    fast_enough,
    significant,
    still_rising,
    above_scatter,
    floor_stays_up,
    ceiling_rises,
];

/// Assesses the readings of `[now - window, now]`; `a` arrives filled with the
/// defaults (state Insufficient) and leaves with the verdict.
pub fn assess_window(
    samples: &VecDeque<(f64, f64)>,
    now_ms: f64,
    window: f64,
    th: &Thresholds,
    a: &mut Assessment,
) {
    a.window_ms = window;
    let window_start = now_ms - window;
    let points = envelope(samples, window_start, window);
    a.samples = samples
        .iter()
        .filter(|s| s.0 >= window_start && s.0 <= now_ms)
        .count();
    a.points = points.len();
    if let (Some(first), Some(last)) = (points.first(), points.last()) {
        a.span_ms = last.0 - first.0;
    }
    if a.points < MIN_POINTS || a.span_ms < MIN_COVERAGE * window {
        a.reason = format!(
            "not enough post-GC readings yet: {} envelope points over {:.0} ms \
             (need {MIN_POINTS} over {:.0} ms)",
            a.points,
            a.span_ms,
            MIN_COVERAGE * window
        );
        return;
    }
    let (f, recent_points) = figures(samples, &points, a.span_ms);
    a.growth_bytes_per_min = f.slope;
    a.recent_growth_bytes_per_min = f.recent_slope;
    a.recent_points = recent_points;
    a.confidence = f.conf;
    a.floor_rise_bytes = f.rise;
    a.floor_start_bytes = f.rise_start;
    match RULES.iter().find_map(|rule| rule(&f, th)) {
        Some(reason) => {
            a.state = if f.slope >= th.min_growth_bytes_per_min && f.conf >= SUSPECT_MIN_CONFIDENCE
            {
                State::Suspected
            } else {
                State::Steady
            };
            a.reason = reason;
        }
        None => {
            a.state = State::Leak;
            a.reason = format!(
                "{} grew {}/min over {:.0} s (Theil-Sen on {} \
                 lower-envelope points, Mann-Kendall confidence {:.4}); still {}/min \
                 in the recent half; floor rose {}",
                th.series,
                human(f.slope),
                a.span_ms / 1000.0,
                a.points,
                f.conf,
                human(f.recent_slope),
                human(f.rise)
            );
        }
    }
}

/// Mann-Kendall confidence twice the window must show for a window's trend
/// to stand (the threshold of a suspected trend).
const WIDE_MIN_CONFIDENCE: f64 = SUSPECT_MIN_CONFIDENCE;

/// Whether the readings of `[now - wide, now]` bear out a trend found in a
/// shorter window: they rise at half the minimum at least, with some
/// confidence, and by more than their own scatter. One rising flank of a slow
/// beat between the GC cadence and a periodic pattern (Buffers freed on a
/// cycle, a batch job) is a clean linear rise within the window; over twice
/// the window it rises and falls back. `None` when borne out (or too few
/// readings to say), else why not.
pub fn not_borne_out(
    samples: &VecDeque<(f64, f64)>,
    now_ms: f64,
    wide: f64,
    th: &Thresholds,
) -> Option<String> {
    let points = envelope(samples, now_ms - wide, wide);
    let span = match (points.first(), points.last()) {
        (Some(a), Some(b)) if points.len() >= MIN_POINTS => b.0 - a.0,
        _ => return None,
    };
    let (f, _) = figures(samples, &points, span);
    let weak = f.slope < 0.5 * th.min_growth_bytes_per_min
        || f.conf < WIDE_MIN_CONFIDENCE
        || f.total_rise < SCATTER_K * f.scatter;
    weak.then(|| {
        format!(
            "not borne out over twice the window: {}/min there, confidence {:.2}, rise {} \
             against a scatter of {} (periodic data aliasing with the GC cadence?)",
            human(f.slope),
            f.conf,
            human(f.total_rise),
            human(f.scatter)
        )
    })
}

fn slope_per_min(points: &[(f64, f64)]) -> f64 {
    theil_sen(points).map_or(0.0, |(m, _)| m) * MS_PER_MIN
}

fn confidence(points: &[(f64, f64)]) -> f64 {
    let ys: Vec<f64> = points.iter().map(|p| p.1).collect();
    mann_kendall(&ys).map_or(0.0, |mk| 1.0 - mk.p_increasing)
}

/// `points` holds at least `MIN_POINTS` envelope points.
fn figures(samples: &VecDeque<(f64, f64)>, points: &[(f64, f64)], span: f64) -> (Figures, usize) {
    let t0 = points[0].0;
    // Halves by time; by count when GCs are so sparse that a time half
    // holds fewer than 3 readings, whose slope would mean nothing.
    let split = points.partition_point(|p| p.0 < t0 + span / 2.0);
    let (early, recent) = if split >= MIN_RECENT_POINTS && points.len() - split >= MIN_RECENT_POINTS
    {
        (&points[..split], &points[split..])
    } else {
        let half = points.len().div_ceil(2);
        (&points[..half], &points[points.len() - half..])
    };
    // The newest third too: a step (a cache loaded at once) puts a jump in
    // the recent half, but the readings after it are flat.
    let newest = &points[points.len() - points.len().div_ceil(3).max(3)..];
    let slope = slope_per_min(points);
    let (recent_slope, recent_conf) = if recent.len() >= MIN_RECENT_POINTS {
        (slope_per_min(recent), confidence(recent))
    } else {
        (0.0, 0.0)
    };
    let (rise, rise_dt, rise_start) = floor_rise(points, t0, span);
    let f = Figures {
        slope,
        conf: confidence(points),
        early_slope: slope_per_min(early),
        recent_slope,
        recent_conf,
        newest_slope: slope_per_min(newest),
        rise,
        rise_dt,
        rise_start,
        total_rise: slope * span / MS_PER_MIN,
        scatter: spread(points, slope / MS_PER_MIN),
        ceiling: ceiling_rise(samples, t0, span),
    };
    (f, recent.len())
}

fn fast_enough(f: &Figures, th: &Thresholds) -> Option<String> {
    let min = th.min_growth_bytes_per_min;
    (f.slope < min).then(|| {
        format!(
            "growth {}/min is below minGrowthBytesPerMin {}/min",
            human(f.slope),
            human(min)
        )
    })
}

fn significant(f: &Figures, th: &Thresholds) -> Option<String> {
    (f.conf < th.confidence).then(|| {
        format!(
            "trend not significant: confidence {:.3} < {}",
            f.conf, th.confidence
        )
    })
}

/// A cache that warmed up and then plateaued shows a flat recent half.
fn still_rising(f: &Figures, th: &Thresholds) -> Option<String> {
    let slowed = f.recent_slope
        < (0.5 * th.min_growth_bytes_per_min).max(DECELERATION * f.early_slope)
        || f.recent_conf < RECENT_MIN_CONFIDENCE
        || f.newest_slope < 0.25 * f.slope;
    slowed.then(|| {
        format!(
            "growth has slowed in the recent half ({}/min, confidence {:.2}): warm-up or plateau",
            human(f.recent_slope),
            f.recent_conf
        )
    })
}

fn above_scatter(f: &Figures, _: &Thresholds) -> Option<String> {
    (f.total_rise < SCATTER_K * f.scatter).then(|| {
        format!(
            "the rise over the window ({}) is within the readings' scatter ({}): \
             transient data, or too early to tell",
            human(f.total_rise),
            human(f.scatter)
        )
    })
}

/// A heavy sawtooth returns to the same floor, a leak does not.
fn floor_stays_up(f: &Figures, th: &Thresholds) -> Option<String> {
    let expected = 0.5 * f.slope.max(th.min_growth_bytes_per_min) * f.rise_dt / MS_PER_MIN;
    (f.rise < expected).then(|| {
        format!(
            "the floor returns low: minimum rose {} where the slope predicts {} (sawtooth)",
            human(f.rise),
            human(2.0 * expected)
        )
    })
}

/// A leak lifts the whole band of readings; GCs that stop landing in a
/// sawtooth's troughs lift only its floor.
fn ceiling_rises(f: &Figures, _: &Thresholds) -> Option<String> {
    let predicted = f.slope * f.rise_dt / MS_PER_MIN;
    (f.ceiling < CEILING_SHARE * predicted).then(|| {
        format!(
            "only the floor rose: the highest readings rose {} where the slope predicts {} \
             (GCs missing the troughs of a periodic batch)",
            human(f.ceiling),
            human(predicted)
        )
    })
}

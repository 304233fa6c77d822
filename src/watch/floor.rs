//! The lower envelope of the post-GC readings and the figures the detector
//! checks it with.

use std::collections::VecDeque;

pub const BUCKETS: usize = 12;

/// Per-bucket minima of the readings in `[start, start + width)`, in time order.
pub fn envelope(samples: &VecDeque<(f64, f64)>, start: f64, width: f64) -> Vec<(f64, f64)> {
    let bucket_ms = width / BUCKETS as f64;
    let mut mins: [Option<(f64, f64)>; BUCKETS] = [None; BUCKETS];
    for &(t, y) in samples.iter().filter(|s| s.0 >= start) {
        let i = (((t - start) / bucket_ms) as usize).min(BUCKETS - 1);
        if mins[i].is_none_or(|m| y < m.1) {
            mins[i] = Some((t, y));
        }
    }
    mins.iter().flatten().copied().collect()
}

/// The lowest (`sign` 1) or highest (`sign` -1) reading in the first and in
/// the last third of `[t0, t0 + span]`; `None` when a third has none.
fn outer_thirds<'a>(
    readings: impl Iterator<Item = &'a (f64, f64)> + Clone,
    t0: f64,
    span: f64,
    sign: f64,
) -> Option<(f64, f64)> {
    let third = span / 3.0;
    let extreme_in = |lo: f64, hi: f64| {
        readings
            .clone()
            .filter(|p| p.0 >= lo && p.0 <= hi)
            .map(|p| sign * p.1)
            .fold(f64::INFINITY, f64::min)
    };
    let first = extreme_in(t0, t0 + third);
    let last = extreme_in(t0 + 2.0 * third, t0 + span);
    (first.is_finite() && last.is_finite()).then_some((sign * first, sign * last))
}

/// Minimum of the last third minus minimum of the first third, the time
/// between the two thirds' centres, and the first third's minimum.
pub fn floor_rise(points: &[(f64, f64)], t0: f64, span: f64) -> (f64, f64, f64) {
    let dt = 2.0 * span / 3.0;
    match outer_thirds(points.iter(), t0, span, 1.0) {
        Some((first, last)) => (last - first, dt, first),
        None => (0.0, dt, 0.0),
    }
}

/// Maximum of the raw readings in the last third of `[t0, t0 + span]` minus
/// the maximum in the first third. A leak lifts the whole band of readings;
/// when only the floor seems to rise, the GCs merely stopped landing in the
/// troughs of a periodic batch.
pub fn ceiling_rise(samples: &VecDeque<(f64, f64)>, t0: f64, span: f64) -> f64 {
    outer_thirds(samples.iter(), t0, span, -1.0).map_or(0.0, |(first, last)| last - first)
}

pub fn human(bytes: f64) -> String {
    crate::bytes::human_bytes(bytes.round() as i64)
}

/// Twice the median absolute deviation of the residuals around the line of
/// slope `m`: how far the readings typically stray from the trend (a heavy
/// sawtooth strays far). A trend must rise more than this to stand out.
pub fn spread(points: &[(f64, f64)], m: f64) -> f64 {
    let mut r: Vec<f64> = points.iter().map(|p| p.1 - m * p.0).collect();
    let Some(center) = super::trend::median(&mut r) else {
        return 0.0;
    };
    let mut dev: Vec<f64> = r.iter().map(|x| (x - center).abs()).collect();
    2.0 * super::trend::median(&mut dev).unwrap_or(0.0)
}

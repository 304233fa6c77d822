//! The urgent rule: a leak that will exhaust a limit soon is reported from
//! the fewest readings that make its rise statistically certain, without the
//! warm-up or a full window.
//!
//! Rule. Over the newest n readings (5 <= n <= 8) of a series, all within the
//! horizon: (1) the exact one-sided Mann-Kendall p for "increasing" is at most
//! 1/120 (five strictly rising readings; six with one falling pair; seven
//! with two); (2) the readings span at least `min_span_ms`, so one burst of
//! back-to-back GCs cannot make the case alone, or, when every reading is
//! higher than the last, at least a tenth of the projected time to OOM (a
//! leak that kills the process within two ticks); (3) the Theil-Sen slope is at
//! least `minGrowthBytesPerMin`, and the newest three readings still rise at
//! half that pace or more (a start-up that is levelling off is not a leak);
//! (4) at that slope the nearest limit is reached within the horizon.
//! Bound: a leak of rate r facing headroom H with H / r < horizon is reported
//! at the fifth major GC (natural or requested, see cadence.rs) after it
//! starts, provided those readings span `min_span_ms`.

use std::collections::VecDeque;

use super::floor::human;
use super::oom::{project, Limits, Projection};
use super::options::{INTERVAL_MS, URGENT_HORIZON_MS};
use super::trend::{exact_p_increasing, theil_sen};
use super::WatchError;

pub const MIN_READINGS: usize = 5;
pub const MAX_READINGS: usize = 8;
/// One-sided p of five strictly rising readings.
pub const MAX_P: f64 = 1.0 / 120.0;
const MS_PER_MIN: f64 = 60_000.0;
/// Share of the projected time to OOM that strictly rising readings closer
/// together than `min_span_ms` must span (see `short_but_decisive`).
pub const SHORT_SPAN_SHARE: f64 = 0.1;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UrgentConfig {
    pub horizon_ms: f64,
    pub min_span_ms: f64,
    pub min_growth_bytes_per_min: f64,
}

impl UrgentConfig {
    /// From the watchdog's options: the readings must span two intervals,
    /// and the horizon must hold five of them.
    /// The ranges are the option schema's (options.rs).
    pub fn new(interval_ms: f64, horizon_ms: f64, min_growth: f64) -> Result<Self, WatchError> {
        let interval_ms = INTERVAL_MS.check(interval_ms)?;
        let horizon_ms = URGENT_HORIZON_MS.check_with_interval(horizon_ms, interval_ms)?;
        Ok(UrgentConfig {
            horizon_ms,
            min_span_ms: 2.0 * interval_ms,
            min_growth_bytes_per_min: min_growth,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Urgent {
    pub growth_bytes_per_min: f64,
    pub p_value: f64,
    pub readings: usize,
    pub span_ms: f64,
    pub projection: Projection,
    pub reason: String,
}

/// The urgent verdict on the newest readings, if the rule holds.
pub fn assess(
    readings: &VecDeque<(f64, f64)>,
    limits: &Limits,
    in_heap: bool,
    cfg: &UrgentConfig,
) -> Option<Urgent> {
    let newest = readings.back()?.0;
    (MIN_READINGS..=MAX_READINGS.min(readings.len()))
        .rev()
        .find_map(|n| {
            let pts: Vec<(f64, f64)> = readings.iter().skip(readings.len() - n).copied().collect();
            (newest - pts[0].0 <= cfg.horizon_ms)
                .then(|| judge(&pts, limits, in_heap, cfg))
                .flatten()
        })
}

/// `pts` holds at least `MIN_READINGS` readings in time order.
fn judge(pts: &[(f64, f64)], limits: &Limits, in_heap: bool, cfg: &UrgentConfig) -> Option<Urgent> {
    let ys: Vec<f64> = pts.iter().map(|p| p.1).collect();
    let p = exact_p_increasing(&ys)?;
    let span = pts.last()?.0 - pts.first()?.0;
    if p > MAX_P || span.is_nan() || span <= 0.0 {
        return None;
    }
    let slope = theil_sen(pts)?.0 * MS_PER_MIN;
    let newest = theil_sen(&pts[pts.len() - 3..])?.0 * MS_PER_MIN;
    if slope < cfg.min_growth_bytes_per_min || newest < 0.5 * slope {
        return None;
    }
    let projection = project(slope, limits, in_heap).filter(|p| p.ms_to_oom < cfg.horizon_ms)?;
    if span < cfg.min_span_ms && !short_but_decisive(&ys, span, projection.ms_to_oom) {
        return None;
    }
    let reason = format!(
        "urgent: {} readings over {:.1} s rise {}/min (Theil-Sen; Mann-Kendall exact p {:.4}); \
         the {} limit is {:.0} s away at this rate",
        pts.len(),
        span / 1000.0,
        human(slope),
        p,
        projection.bound.as_str(),
        projection.ms_to_oom / 1000.0
    );
    Some(Urgent {
        growth_bytes_per_min: slope,
        p_value: p,
        readings: pts.len(),
        span_ms: span,
        projection,
        reason,
    })
}

/// Readings closer together than `min_span_ms` still count when every one
/// is higher than the last and they cover a real part of the way to the
/// limit: they span at least `SHORT_SPAN_SHARE` of the projected time to OOM
/// (so their rise is at least that share of the headroom). A burst of
/// back-to-back GCs moves the heap by a trifle; a leak that kills the process
/// before two ticks have passed does not.
fn short_but_decisive(ys: &[f64], span_ms: f64, ms_to_oom: f64) -> bool {
    ys.windows(2).all(|w| w[1] > w[0]) && span_ms >= SHORT_SPAN_SHARE * ms_to_oom
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: f64 = 1024.0 * 1024.0;

    fn limits(heap_used: f64) -> Limits {
        Limits {
            heap_used_bytes: heap_used,
            heap_limit_bytes: 256.0 * MIB,
            ..Limits::default()
        }
    }

    fn cfg() -> UrgentConfig {
        UrgentConfig {
            horizon_ms: 5.0 * 60_000.0,
            min_span_ms: 10_000.0,
            min_growth_bytes_per_min: MIB,
        }
    }

    /// One reading every `every_ms`, rising `mib_per_min`.
    fn series(n: usize, every_ms: f64, mib_per_min: f64) -> VecDeque<(f64, f64)> {
        (0..n)
            .map(|i| {
                let t = i as f64 * every_ms;
                (t, 20.0 * MIB + mib_per_min * MIB * t / 60_000.0)
            })
            .collect()
    }

    #[test]
    fn five_rising_readings_toward_a_near_limit_are_urgent() {
        let s = series(5, 4000.0, 400.0);
        let u = assess(&s, &limits(150.0 * MIB), true, &cfg()).expect("urgent");
        assert_eq!(u.readings, 5);
        assert!((u.p_value - MAX_P).abs() < 1e-12);
        assert!(u.projection.ms_to_oom < 20_000.0, "{u:?}");
    }

    #[test]
    fn contradictory_options_are_refused() {
        let err = UrgentConfig::new(5000.0, 20_000.0, MIB).unwrap_err();
        assert_eq!(err.code(), "ERR_LEAKWATCH_INVALID_OPTION");
        assert!(err.message.contains("urgentHorizonMs"));
        assert!(UrgentConfig::new(0.0, 20_000.0, MIB).is_err());
        assert!(UrgentConfig::new(5000.0, f64::NAN, MIB).is_err());
        let ok = UrgentConfig::new(5000.0, 25_000.0, MIB).unwrap();
        assert_eq!(ok.min_span_ms, 10_000.0);
    }

    #[test]
    fn four_readings_are_not_enough() {
        assert!(assess(
            &series(4, 4000.0, 400.0),
            &limits(150.0 * MIB),
            true,
            &cfg()
        )
        .is_none());
    }

    #[test]
    fn a_far_limit_is_not_urgent() {
        let far = Limits {
            heap_limit_bytes: 4096.0 * MIB,
            ..limits(100.0 * MIB)
        };
        assert!(assess(&series(8, 4000.0, 20.0), &far, true, &cfg()).is_none());
    }

    #[test]
    fn one_burst_of_gcs_is_not_enough() {
        assert!(assess(&series(8, 100.0, 400.0), &limits(150.0 * MIB), true, &cfg()).is_none());
    }

    #[test]
    fn a_leak_faster_than_a_tick_is_urgent_from_readings_under_a_tick_apart() {
        // 660 MB/min under a 128 MB heap: five major GCs 400 ms apart rise
        // 17 MiB, a fifth of the 70 MiB left; the ticks are 5 s apart.
        let l = Limits {
            heap_used_bytes: 58.0 * MIB,
            heap_limit_bytes: 128.0 * MIB,
            ..Limits::default()
        };
        let u = assess(&series(5, 400.0, 630.0), &l, true, &cfg()).expect("urgent");
        assert!(u.span_ms < cfg().min_span_ms);
        assert!(u.projection.ms_to_oom < 10_000.0, "{u:?}");
        // Not when one of them dips: then the span rule stands.
        let mut dip = series(6, 400.0, 630.0);
        dip[3].1 = dip[2].1 - 1.0;
        assert!(assess(&dip, &l, true, &cfg()).is_none());
        // Nor when they cover a trifle of the way (a burst of GCs).
        let far = Limits {
            heap_limit_bytes: 2048.0 * MIB,
            ..l
        };
        let roomy = UrgentConfig {
            horizon_ms: 30.0 * 60_000.0,
            ..cfg()
        };
        assert!(assess(&series(5, 400.0, 630.0), &far, true, &roomy).is_none());
    }

    #[test]
    fn a_start_up_levelling_off_is_not_urgent() {
        let mut s = series(5, 4000.0, 400.0);
        let top = s[2].1;
        for r in s.iter_mut().skip(3) {
            r.1 = top + (r.0 - 8000.0) * 10.0;
        }
        assert!(assess(&s, &limits(150.0 * MIB), true, &cfg()).is_none());
    }

    #[test]
    fn one_dip_among_eight_still_counts() {
        let mut s = series(8, 4000.0, 400.0);
        s[3].1 = s[2].1 - 1.0;
        assert!(assess(&s, &limits(150.0 * MIB), true, &cfg()).is_some());
    }

    #[test]
    fn outside_the_heap_needs_a_process_limit() {
        let s = series(6, 4000.0, 400.0);
        assert!(assess(&s, &limits(150.0 * MIB), false, &cfg()).is_none());
        let l = Limits {
            rss_bytes: 300.0 * MIB,
            rss_limit_bytes: Some(512.0 * MIB),
            ..limits(150.0 * MIB)
        };
        let u = assess(&s, &l, false, &cfg()).expect("urgent");
        assert_eq!(u.projection.bound.as_str(), "rss");
    }
}

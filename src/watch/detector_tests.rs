use super::*;
use crate::watch::floor::{ceiling_rise, envelope, human};
use std::collections::VecDeque;

const MIB: f64 = 1024.0 * 1024.0;
const MIN: f64 = 60_000.0;

fn cfg() -> DetectorConfig {
    DetectorConfig {
        window_ms: 10.0 * MIN,
        min_growth_bytes_per_min: MIB,
        confidence: 0.95,
        warmup_ms: 2.0 * MIN,
    }
}

/// Deterministic noise in [-1, 1).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

/// Feeds one post-GC reading every `gc_ms` and evaluates every 5 s; returns
/// the events with their times in minutes.
fn run(
    cfg: DetectorConfig,
    gc_ms: f64,
    until_min: f64,
    mut floor: impl FnMut(f64) -> Option<f64>,
) -> Vec<(f64, Event)> {
    let mut d = GrowthDetector::new(cfg, 0.0).unwrap();
    let mut events = Vec::new();
    let mut next_gc = gc_ms;
    let mut t = 0.0;
    while t <= until_min * MIN {
        if t >= next_gc {
            if let Some(y) = floor(t) {
                d.push(t, y);
            }
            next_gc += gc_ms;
        }
        if let Some(e) = d.evaluate(t).event {
            events.push((t / MIN, e));
        }
        t += 5000.0;
    }
    events
}

fn first_leak(events: &[(f64, Event)]) -> Option<f64> {
    events.iter().find(|e| e.1 == Event::Leak).map(|e| e.0)
}

#[test]
fn steady_leak_with_noise_is_detected_within_warmup_plus_window() {
    let mut rng = Rng(7);
    let ev = run(cfg(), 20_000.0, 30.0, |t| {
        Some(50.0 * MIB + 3.0 * MIB * t / MIN + 2.0 * MIB * rng.next())
    });
    let at = first_leak(&ev).expect("leak detected");
    assert!(at <= 12.0, "detected at {at} min");
    assert!(!ev.iter().any(|e| e.1 == Event::Recovered));
}

#[test]
fn flat_noisy_heap_never_fires() {
    let mut rng = Rng(11);
    let ev = run(cfg(), 20_000.0, 120.0, |_| {
        Some(80.0 * MIB + 3.0 * MIB * rng.next())
    });
    assert!(ev.is_empty(), "{ev:?}");
}

#[test]
fn heavy_sawtooth_without_growth_never_fires() {
    let mut rng = Rng(3);
    // A 40 MiB batch alive for half of every 3-minute period.
    let ev = run(cfg(), 15_000.0, 120.0, |t| {
        let batch = if (t / (3.0 * MIN)).fract() < 0.5 {
            40.0 * MIB
        } else {
            0.0
        };
        Some(60.0 * MIB + batch + MIB * rng.next())
    });
    assert!(ev.is_empty(), "{ev:?}");
}

#[test]
fn slow_sawtooth_without_growth_never_fires() {
    let mut rng = Rng(5);
    // Period longer than a bucket: the envelope itself saw-tooths. (A period
    // close to the window length is indistinguishable from a leak that was
    // released; docs/watchdog.md says to pick windowMs >= 3 such periods.)
    let ev = run(cfg(), 15_000.0, 180.0, |t| {
        let phase = (t / (3.3 * MIN)).fract();
        Some(60.0 * MIB + 30.0 * MIB * phase + MIB * rng.next())
    });
    assert!(ev.is_empty(), "{ev:?}");
}

#[test]
fn sawtooth_on_top_of_a_leak_is_detected() {
    let mut rng = Rng(9);
    let ev = run(cfg(), 15_000.0, 40.0, |t| {
        let batch = if (t / (3.0 * MIN)).fract() < 0.5 {
            40.0 * MIB
        } else {
            0.0
        };
        Some(60.0 * MIB + 3.0 * MIB * t / MIN + batch + MIB * rng.next())
    });
    let at = first_leak(&ev).expect("leak detected");
    assert!(at <= 20.0, "detected at {at} min");
}

#[test]
fn cache_that_warms_up_and_plateaus_never_fires() {
    let mut rng = Rng(13);
    // Fills 60 MiB with a 4-minute time constant: still growing after warm-up.
    let ev = run(cfg(), 20_000.0, 90.0, |t| {
        Some(40.0 * MIB + 60.0 * MIB * (1.0 - (-t / (4.0 * MIN)).exp()) + MIB * rng.next())
    });
    assert!(ev.is_empty(), "{ev:?}");
}

#[test]
fn one_step_up_then_flat_never_fires() {
    let mut rng = Rng(17);
    let ev = run(cfg(), 20_000.0, 90.0, |t| {
        let step = if t > 15.0 * MIN { 50.0 * MIB } else { 0.0 };
        Some(40.0 * MIB + step + MIB * rng.next())
    });
    assert!(ev.is_empty(), "{ev:?}");
}

#[test]
fn slow_leak_just_above_the_minimum_is_detected() {
    let mut rng = Rng(19);
    let ev = run(cfg(), 20_000.0, 40.0, |t| {
        Some(50.0 * MIB + 1.4 * MIB * t / MIN + 0.5 * MIB * rng.next())
    });
    let at = first_leak(&ev).expect("slow leak detected");
    assert!(at <= 20.0, "detected at {at} min");
}

#[test]
fn growth_below_the_minimum_is_not_reported() {
    let ev = run(cfg(), 20_000.0, 60.0, |t| {
        Some(50.0 * MIB + 0.4 * MIB * t / MIN)
    });
    assert!(ev.is_empty(), "{ev:?}");
}

#[test]
fn leak_that_stops_is_followed_by_recovered() {
    let mut rng = Rng(23);
    let ev = run(cfg(), 20_000.0, 60.0, |t| {
        let m = (t / MIN).min(25.0);
        Some(50.0 * MIB + 4.0 * MIB * m + MIB * rng.next())
    });
    let leak = first_leak(&ev).expect("leak");
    let rec = ev
        .iter()
        .find(|e| e.1 == Event::Recovered)
        .expect("recovered")
        .0;
    assert!(leak < 25.0 && rec > 25.0 && rec < 40.0, "{ev:?}");
}

#[test]
fn ongoing_leak_is_reported_again_every_half_window() {
    let ev = run(cfg(), 20_000.0, 40.0, |t| {
        Some(50.0 * MIB + 5.0 * MIB * t / MIN)
    });
    let leaks: Vec<f64> = ev
        .iter()
        .filter(|e| e.1 == Event::Leak)
        .map(|e| e.0)
        .collect();
    assert!(leaks.len() >= 4, "{leaks:?}");
    for w in leaks.windows(2) {
        assert!(w[1] - w[0] >= 5.0 - 1e-9, "{leaks:?}");
    }
}

#[test]
fn idle_after_a_leak_recovers_once_no_gc_happens_for_a_window() {
    let ev = run(cfg(), 20_000.0, 60.0, |t| {
        (t < 20.0 * MIN).then(|| 50.0 * MIB + 5.0 * MIB * t / MIN)
    });
    assert_eq!(ev.first().map(|e| e.1), Some(Event::Leak));
    assert_eq!(ev.last().map(|e| e.1), Some(Event::Recovered));
}

#[test]
fn warmup_readings_are_ignored() {
    let mut d = GrowthDetector::new(cfg(), 0.0).unwrap();
    for i in 0..24 {
        d.push(i as f64 * 5000.0, 10.0 * MIB * i as f64);
    }
    let early = d.evaluate(60_000.0);
    assert_eq!(early.assessment.state, State::Warmup);
    let after = d.evaluate(2.0 * MIN + 1.0);
    assert_eq!(after.assessment.state, State::Insufficient);
    assert_eq!(after.assessment.samples, 0);
    assert!(after.event.is_none());
}

#[test]
fn few_readings_are_insufficient() {
    let mut d = GrowthDetector::new(cfg(), 0.0).unwrap();
    for i in 0..3 {
        d.push(3.0 * MIN + i as f64 * MIN, 10.0 * MIB * i as f64);
    }
    let a = d.evaluate(6.0 * MIN).assessment;
    assert_eq!(a.state, State::Insufficient);
    assert!(a.reason.contains("not enough"), "{}", a.reason);
}

#[test]
fn bad_readings_are_dropped() {
    let mut d = GrowthDetector::new(cfg(), 0.0).unwrap();
    d.push(f64::NAN, 1.0);
    d.push(3.0 * MIN, f64::INFINITY);
    d.push(3.0 * MIN, -5.0);
    assert_eq!(d.evaluate(4.0 * MIN).assessment.live_heap_bytes, 0.0);
}

#[test]
fn invalid_config_is_rejected_with_the_option_name() {
    let mut c = cfg();
    c.window_ms = 0.0;
    let e = GrowthDetector::new(c, 0.0).unwrap_err();
    assert_eq!(e.code(), "ERR_LEAKWATCH_INVALID_OPTION");
    assert!(e.message.contains("windowMs"));
    let mut c = cfg();
    c.confidence = 1.0;
    assert!(GrowthDetector::new(c, 0.0)
        .unwrap_err()
        .message
        .contains("confidence"));
    let mut c = cfg();
    c.warmup_ms = -1.0;
    assert!(GrowthDetector::new(c, 0.0)
        .unwrap_err()
        .message
        .contains("warmupMs"));
    let mut c = cfg();
    c.min_growth_bytes_per_min = f64::NAN;
    assert!(GrowthDetector::new(c, 0.0).is_err());
}

#[test]
fn envelope_keeps_the_minimum_per_bucket() {
    let s: VecDeque<(f64, f64)> = [(0.0, 5.0), (1.0, 3.0), (12.0, 9.0), (13.0, 8.0)]
        .into_iter()
        .collect();
    assert_eq!(envelope(&s, 0.0, 120.0), vec![(1.0, 3.0), (13.0, 8.0)]);
}

#[test]
fn human_sizes() {
    assert_eq!(human(512.0), "512 B");
    assert_eq!(human(1536.0), "1.5 KiB");
    assert_eq!(human(3.0 * MIB), "3.0 MiB");
}

#[test]
fn many_seeds_no_false_alarms_and_every_leak_found() {
    for seed in 1..=25u64 {
        let mut rng = Rng(seed * 7919);
        let flat = run(cfg(), 20_000.0, 60.0, |_| {
            Some(80.0 * MIB + 3.0 * MIB * rng.next())
        });
        assert!(flat.is_empty(), "seed {seed} flat {flat:?}");
        let mut rng = Rng(seed * 104_729);
        let saw = run(cfg(), 15_000.0, 60.0, |t| {
            let batch = if (t / (2.0 * MIN)).fract() < 0.4 {
                40.0 * MIB
            } else {
                0.0
            };
            Some(60.0 * MIB + batch + 2.0 * MIB * rng.next())
        });
        assert!(saw.is_empty(), "seed {seed} sawtooth {saw:?}");
        let mut rng = Rng(seed * 15_485_863);
        let warm = run(cfg(), 20_000.0, 60.0, |t| {
            Some(40.0 * MIB + 60.0 * MIB * (1.0 - (-t / (3.0 * MIN)).exp()) + MIB * rng.next())
        });
        assert!(warm.is_empty(), "seed {seed} warm-up {warm:?}");
        let mut rng = Rng(seed * 31);
        let leak = run(cfg(), 20_000.0, 30.0, |t| {
            Some(50.0 * MIB + 2.0 * MIB * t / MIN + 2.0 * MIB * rng.next())
        });
        let at = first_leak(&leak).unwrap_or(f64::INFINITY);
        assert!(at <= 15.0, "seed {seed} leak at {at}");
    }
}

#[test]
fn a_thin_recent_half_does_not_flip_a_leak_to_recovered() {
    // Few GCs: the window holds 5-6 readings, the recent half sometimes 2.
    let mut c = cfg();
    c.window_ms = 12_000.0;
    c.warmup_ms = 3_000.0;
    c.min_growth_bytes_per_min = 6.0 * MIB;
    let mut d = GrowthDetector::new(c, 0.0).unwrap();
    let mut events = Vec::new();
    let mut rng = Rng(29);
    let mut t = 0.0;
    let mut next_gc = 2_500.0;
    while t < 60_000.0 {
        if t >= next_gc {
            d.push(
                t,
                50.0 * MIB + 26.0 * MIB * t / MIN + 0.3 * MIB * rng.next(),
            );
            next_gc += 2_300.0 + 900.0 * rng.next();
        }
        if let Some(e) = d.evaluate(t).event {
            events.push((t, e));
        }
        t += 200.0;
    }
    assert!(first_leak(&events).is_some(), "{events:?}");
    assert!(
        !events.iter().any(|e| e.1 == Event::Recovered),
        "{events:?}"
    );
}

#[test]
fn sparse_major_gcs_stretch_the_window_and_a_leak_is_still_found() {
    // One major GC every 2.5 minutes: 4 per 10-minute window.
    let mut rng = Rng(31);
    let ev = run(cfg(), 150_000.0, 40.0, |t| {
        Some(200.0 * MIB + 4.0 * MIB * t / MIN + MIB * rng.next())
    });
    let at = first_leak(&ev).expect("leak detected");
    assert!(at <= 25.0, "detected at {at} min");
}

#[test]
fn sparse_major_gcs_on_a_flat_heap_never_fire() {
    let mut rng = Rng(37);
    let ev = run(cfg(), 150_000.0, 120.0, |_| {
        Some(200.0 * MIB + 4.0 * MIB * rng.next())
    });
    assert!(ev.is_empty(), "{ev:?}");
}

#[test]
fn the_stretched_window_is_reported_and_capped() {
    let readings = |every_min: f64| {
        let mut d = GrowthDetector::new(cfg(), 0.0).unwrap();
        for i in 0..8 {
            let t = 3.0 * MIN + i as f64 * every_min * MIN;
            d.push(t, 100.0 * MIB + i as f64 * 10.0 * MIB);
        }
        let now = 3.0 * MIN + 7.0 * every_min * MIN + 1000.0;
        d.evaluate(now).assessment
    };
    // Back to the 7th newest reading, 24 minutes ago.
    let a = readings(4.0);
    assert_eq!(a.window_ms, 24.0 * MIN + 1001.0);
    assert!(a.points >= 5, "{a:?}");
    // 48 minutes would be needed: capped at 4 windows.
    assert_eq!(readings(8.0).window_ms, 4.0 * cfg().window_ms);
}

#[test]
fn a_floor_that_rises_under_steady_peaks_is_aliasing_not_a_leak() {
    // A batch cycle read at three phases (empty, half, full). From minute 15
    // the GCs drift off the empty phase, so the lowest readings climb for ten
    // minutes while the full-batch readings stay where they were.
    let mut i = 0u32;
    let ev = run(cfg(), 20_000.0, 30.0, |t| {
        i += 1;
        let m = t / MIN;
        let low = if (15.0..25.0).contains(&m) {
            50.0 + 22.0 * (m - 15.0) / 10.0
        } else {
            50.0
        };
        Some(MIB * [low, 65.0, 80.0][(i % 3) as usize])
    });
    assert!(first_leak(&ev).is_none(), "{ev:?}");
}

#[test]
fn ceiling_rise_compares_the_highest_readings_of_the_outer_thirds() {
    let s: VecDeque<(f64, f64)> =
        [(0.0, 5.0), (1.0, 9.0), (4.0, 7.0), (7.0, 8.0), (9.0, 12.0)].into();
    assert_eq!(ceiling_rise(&s, 0.0, 9.0), 3.0);
    assert_eq!(ceiling_rise(&s, 2.0, 3.0), 0.0);
}

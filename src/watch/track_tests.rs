//! Tests of track.rs: one series, its floor between GCs and its vetoes.
use super::*;
use crate::watch::detector::GrowthDetector;

const MIB: f64 = 1024.0 * 1024.0;

fn track(kind: Kind) -> Track {
    track_with(kind, 600_000.0, 60_000.0, 0.0)
}

fn track_with(kind: Kind, window_ms: f64, warmup_ms: f64, started_at_ms: f64) -> Track {
    let cfg = DetectorConfig {
        window_ms,
        min_growth_bytes_per_min: MIB,
        confidence: 0.95,
        warmup_ms,
    };
    let u = UrgentConfig {
        horizon_ms: 900_000.0,
        min_span_ms: 10_000.0,
        min_growth_bytes_per_min: MIB,
    };
    Track::new(kind, cfg, u, started_at_ms).unwrap()
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

#[test]
fn a_slow_leak_s_reason_names_its_series() {
    for (kind, named) in [
        (Kind::Heap, "live heap after major GC grew"),
        (
            Kind::External,
            "external memory (Buffers, ArrayBuffers) at its floor",
        ),
    ] {
        let mut t = track(kind);
        let mut reason = None;
        // 3 MiB/min for 20 minutes, a reading every 5 s, no limit near.
        for i in 0..240 {
            let at = 5000.0 * f64::from(i + 1);
            let wobble = if i % 2 == 0 { 0.0 } else { 0.2 * MIB };
            t.push(at, 40.0 * MIB + 0.25 * MIB * f64::from(i) + wobble);
            let d = t.evaluate(at, &Limits::default());
            if d.event == Some(Event::Leak) {
                reason = Some(d.assessment.reason);
                break;
            }
        }
        let reason = reason.unwrap_or_default();
        assert!(reason.starts_with(named), "{kind:?}: {reason}");
    }
}

/// The first reading of a steady RSS rise (3 MiB/min) that the track's
/// rules report as a leak, for a watchdog started at `started_at_ms` of
/// process age.
fn first_rss_leak(started_at_ms: f64) -> Option<f64> {
    let mut t = track_with(Kind::Rss, 20_000.0, 2000.0, started_at_ms);
    (1..200)
        .map(|i| started_at_ms + 1000.0 * f64::from(i))
        .find(|&at| {
            t.push(at, 40.0 * MIB + 0.05 * MIB * (at - started_at_ms) / 1000.0);
            t.evaluate(at, &Limits::default()).event == Some(Event::Leak)
        })
}

#[test]
fn rss_outside_v8_is_judged_after_the_process_start_up_ramp_only() {
    // Started with the process: nothing before RSS_SETTLE_MS of age.
    let early = first_rss_leak(0.0).expect("reported once settled");
    assert!(early > RSS_SETTLE_MS, "{early}");
    // Started later: its own warm-up only.
    let late = first_rss_leak(2.0 * RSS_SETTLE_MS).expect("reported");
    assert!(late - 2.0 * RSS_SETTLE_MS < RSS_SETTLE_MS / 2.0, "{late}");
}

//! Replays recorded post-GC series from the watchdog corpus
//! (`npm run bench:watchdog -- --trace DIR`, one JSON file per run in
//! `testdata/corpus`) into a `Track` of the series' kind, ticking as the JS
//! side does: the decision rules are judged on what real Node processes
//! produced, including the runs that once raised a false alarm. Traces that
//! recorded `external` between major GCs (`observed`) feed it as the JS side
//! does, so the external series' floor is replayed too.

use super::detector::{DetectorConfig, Event};
use super::oom::Limits;
use super::track::{Kind, Track};
use super::urgent::UrgentConfig;
use serde::Deserialize;
use std::path::PathBuf;

/// The bound: every leak reported within two minutes of run time.
const LEAK_DEADLINE_MS: f64 = 120_000.0;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TraceOptions {
    interval_ms: f64,
    window_ms: f64,
    warmup_ms: f64,
    min_growth_bytes_per_min: f64,
    confidence: f64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Trace {
    scenario: String,
    kind: String,
    options: TraceOptions,
    started_at_ms: f64,
    duration_ms: f64,
    /// `[ms, live heap, external]`; older traces have no external.
    samples: Vec<Vec<f64>>,
    /// "heap" (default) or "external": the reading the scenario is judged on.
    #[serde(default)]
    series: Option<String>,
    /// `[ms, external]` seen between major GCs; older traces have none.
    #[serde(default)]
    observed: Vec<(f64, f64)>,
    #[serde(skip)]
    file: String,
}

fn traces() -> Vec<Trace> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/watch/testdata/corpus");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("corpus directory") {
        let path = entry.expect("corpus entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path).expect("trace readable");
            let mut t: Trace = serde_json::from_str(&text).expect("trace parses");
            t.file = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into();
            out.push(t);
        }
    }
    out.sort_by(|a, b| a.file.cmp(&b.file));
    out
}

/// The column a leak trace is judged on: 1 (heap) or 2 (external).
fn judged(t: &Trace) -> usize {
    if t.series.as_deref() == Some("external") {
        2
    } else {
        1
    }
}

/// Times (ms since start) of the leak events a track raises on one column of
/// a trace (1: live heap, 2: external).
fn leak_events(t: &Trace, column: usize) -> Vec<f64> {
    replay(t, column, true)
}

/// As `leak_events`; `floor: false` ignores the values observed between
/// major GCs (the external series before it took their floor).
fn replay(t: &Trace, column: usize, floor: bool) -> Vec<f64> {
    let o = &t.options;
    let cfg = DetectorConfig {
        window_ms: o.window_ms,
        min_growth_bytes_per_min: o.min_growth_bytes_per_min,
        confidence: o.confidence,
        warmup_ms: o.warmup_ms,
    };
    let urgent = UrgentConfig::new(o.interval_ms, 900_000.0, o.min_growth_bytes_per_min)
        .expect("valid urgent config");
    let kind = if column == 2 {
        Kind::External
    } else {
        Kind::Heap
    };
    let mut track = Track::new(kind, cfg, urgent, t.started_at_ms).expect("valid config");
    // No limit near: the careful rules decide, as on a roomy heap.
    let limits = Limits::default();
    let samples: Vec<(f64, f64)> = t
        .samples
        .iter()
        .filter_map(|s| Some((*s.first()?, *s.get(column)?)))
        .collect();
    let observed: &[(f64, f64)] = if floor && column == 2 {
        &t.observed
    } else {
        &[]
    };
    let (mut next, mut next_obs) = (0, 0);
    let mut events = Vec::new();
    let mut now = t.started_at_ms + o.interval_ms;
    while now <= t.duration_ms {
        while next < samples.len() && samples[next].0 <= now {
            while next_obs < observed.len() && observed[next_obs].0 < samples[next].0 {
                track.observe(observed[next_obs].1);
                next_obs += 1;
            }
            track.push(samples[next].0, samples[next].1);
            next += 1;
        }
        if track.evaluate(now, &limits).event == Some(Event::Leak) {
            events.push(now);
        }
        now += o.interval_ms;
    }
    events
}

#[test]
fn the_corpus_is_there() {
    let all = traces();
    assert!(all.iter().filter(|t| t.kind == "clean").count() >= 6);
    assert!(all.iter().filter(|t| t.kind == "leak").count() >= 6);
}

#[test]
fn clean_workloads_raise_no_leak() {
    let false_alarms: Vec<String> = traces()
        .iter()
        .filter(|t| t.kind == "clean")
        .flat_map(|t| {
            // Every series a clean run recorded must stay silent.
            let has_external = t.samples.iter().any(|s| s.len() > 2);
            let columns: &[usize] = if has_external { &[1, 2] } else { &[1] };
            columns.iter().map(move |c| (t, *c))
        })
        .filter_map(|(t, column)| {
            let ev = leak_events(t, column);
            (!ev.is_empty()).then(|| {
                let series = if column == 2 { "external" } else { "heap" };
                format!(
                    "{} ({}, {series}) at {:.1} s",
                    t.file,
                    t.scenario,
                    ev[0] / 1000.0
                )
            })
        })
        .collect();
    assert!(false_alarms.is_empty(), "false alarms: {false_alarms:#?}");
}

/// `cargo test every_leak -- --nocapture` lists the detection times.
#[test]
fn every_leak_is_reported_within_two_minutes() {
    let missed: Vec<String> = traces()
        .iter()
        .filter(|t| t.kind == "leak")
        .filter_map(|t| match leak_events(t, judged(t)).first() {
            Some(&at) if at <= LEAK_DEADLINE_MS => {
                println!("{:<28} reported at {:.1} s", t.file, at / 1000.0);
                None
            }
            Some(&at) => Some(format!("{} late: {:.1} s", t.file, at / 1000.0)),
            None => Some(format!("{} ({}) never reported", t.file, t.scenario)),
        })
        .collect();
    assert!(missed.is_empty(), "missed leaks: {missed:#?}");
}

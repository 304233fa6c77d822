//! Tests of tracks.rs: what ties the three series together.
use super::*;
use crate::cgroup::{CgroupMemory, Version};
use crate::watch::options::{resolve, GivenOptions};
use crate::watch::track::Kind;

const MIB: f64 = 1024.0 * 1024.0;

fn tracks(force_gc: bool) -> MemoryTracks {
    let opts = resolve(&GivenOptions {
        interval_ms: Some(1000.0),
        window_ms: Some(60_000.0),
        warmup_ms: Some(0.0),
        min_growth_bytes_per_min: Some(MIB),
        force_gc: Some(force_gc),
        ..GivenOptions::default()
    })
    .unwrap();
    MemoryTracks::new(&opts, 0.0).unwrap()
}

fn heap(used: f64, external: f64) -> HeapFigures {
    HeapFigures {
        heap_used_bytes: used,
        heap_total_bytes: used + 4.0 * MIB,
        heap_limit_bytes: 2048.0 * MIB,
        external_bytes: external,
        rss_limit_bytes: None,
    }
}

fn rss(bytes: f64) -> ProcessMemory {
    ProcessMemory {
        rss_now_bytes: Some(bytes),
        reading: MemoryReading::default(),
    }
}

fn kinds(d: &[TrackDecision]) -> Vec<Kind> {
    d.iter().map(|d| d.kind).collect()
}

#[test]
fn rss_is_judged_only_while_the_heap_and_external_hold_still() {
    let mut steady = tracks(false);
    let mut growing = tracks(false);
    let mut last = (Vec::new(), Vec::new());
    for i in 0..60 {
        let at = 1000.0 * f64::from(i + 1);
        let rising = 20.0 * MIB + 2.0 * MIB * f64::from(i);
        let mem = rss(200.0 * MIB);
        steady.add_sample(at, 20.0 * MIB, MIB, Some(heap(20.0 * MIB, MIB)), &mem);
        growing.add_sample(at, rising, MIB, Some(heap(rising, MIB)), &mem);
        last = (
            kinds(&steady.evaluate(at, heap(20.0 * MIB, MIB), &mem)),
            kinds(&growing.evaluate(at, heap(rising, MIB), &mem)),
        );
    }
    assert_eq!(last.0, vec![Kind::Heap, Kind::External, Kind::Rss]);
    assert_eq!(last.1, vec![Kind::Heap, Kind::External]);
}

#[test]
fn memory_outside_v8_is_rss_less_the_committed_heap_and_external() {
    let h = heap(20.0 * MIB, 6.0 * MIB);
    assert_eq!(
        outside(&rss(100.0 * MIB), h.heap_total_bytes, 6.0 * MIB),
        Some(70.0 * MIB)
    );
    // RSS read now wins over the sampler's last; the sampler's serves without it.
    let sampled = ProcessMemory {
        rss_now_bytes: None,
        reading: MemoryReading {
            rss_bytes: 50.0 * MIB,
            ..MemoryReading::default()
        },
    };
    assert_eq!(
        outside(&sampled, h.heap_total_bytes, 6.0 * MIB),
        Some(20.0 * MIB)
    );
    assert_eq!(
        outside(&ProcessMemory::default(), h.heap_total_bytes, 0.0),
        None
    );
    // Never negative when V8 has committed more than RSS shows.
    assert_eq!(
        outside(&rss(10.0 * MIB), h.heap_total_bytes, 0.0),
        Some(0.0)
    );
}

#[test]
fn headroom_is_the_nearest_limit() {
    let mut l = limits(&heap(100.0 * MIB, 0.0), &MemoryReading::default());
    assert_eq!(headroom(&l), 1948.0 * MIB);
    l.memory_limit_bytes = Some(512.0 * MIB);
    l.memory_usage_bytes = Some(400.0 * MIB);
    assert_eq!(headroom(&l), 112.0 * MIB);
    l.rss_limit_bytes = Some(300.0 * MIB);
    l.rss_bytes = 250.0 * MIB;
    assert_eq!(headroom(&l), 50.0 * MIB);
    let none = Limits::default();
    assert_eq!(headroom(&none), f64::INFINITY);
}

#[test]
fn limits_take_the_container_from_the_sampler() {
    let reading = MemoryReading {
        rss_bytes: 90.0 * MIB,
        cgroup: Some(CgroupMemory {
            version: Version::V2,
            limit_bytes: 256.0 * MIB,
            usage_bytes: 120.0 * MIB,
        }),
        ..MemoryReading::default()
    };
    let mut h = heap(10.0 * MIB, 0.0);
    h.rss_limit_bytes = Some(f64::INFINITY);
    let l = limits(&h, &reading);
    assert_eq!(l.memory_limit_bytes, Some(256.0 * MIB));
    assert_eq!(l.memory_usage_bytes, Some(120.0 * MIB));
    assert_eq!(l.rss_bytes, 90.0 * MIB);
    // An infinite or absent RSS limit is no limit.
    assert_eq!(l.rss_limit_bytes, None);
}

#[test]
fn the_committed_heap_s_rise_counts_over_the_window_only() {
    let mut t = tracks(false);
    assert_eq!(t.heap_total_rise(0.0, &heap(10.0 * MIB, 0.0)), 0.0);
    assert_eq!(
        t.heap_total_rise(30_000.0, &heap(30.0 * MIB, 0.0)),
        20.0 * MIB
    );
    // 70 s later the first reading has left the 60 s window.
    assert_eq!(
        t.heap_total_rise(70_000.0, &heap(35.0 * MIB, 0.0)),
        5.0 * MIB
    );
    let mut nan = heap(0.0, 0.0);
    nan.heap_total_bytes = f64::NAN;
    assert_eq!(t.heap_total_rise(71_000.0, &nan), 0.0);
}

#[test]
fn no_full_gc_is_requested_without_force_gc() {
    let mut t = tracks(false);
    let mem = MemoryReading::default();
    for i in 0..100 {
        let at = 1000.0 * f64::from(i);
        assert_eq!(
            t.gc_due(at, heap(10.0 * MIB + MIB * f64::from(i), 0.0), &mem),
            None
        );
    }
}

#[test]
fn a_heap_without_major_gcs_gets_a_forced_one() {
    let mut t = tracks(true);
    let mem = MemoryReading::default();
    let due = (0..600)
        .map(|i| 1000.0 * f64::from(i))
        .find_map(|at| t.gc_due(at, heap(10.0 * MIB + MIB * at / 1000.0, 0.0), &mem));
    assert!(due.is_some());
}

//! The watchdog's option schema (options.rs): its ranges, its defaults, and
//! that the cores check against it alone.
use super::*;

fn name_of(r: Result<WatchOptions, WatchError>) -> String {
    match r {
        Ok(o) => panic!("accepted {o:?}"),
        Err(e) => {
            assert_eq!(e.code(), "ERR_LEAKWATCH_INVALID_OPTION");
            e.message
        }
    }
}

#[test]
fn nothing_given_is_the_defaults() {
    let o = resolve(&GivenOptions::default()).unwrap();
    assert_eq!(o.interval_ms, INTERVAL_MS.default);
    assert_eq!(o.window_ms, 180_000.0);
    assert_eq!(o.confidence, 0.95);
    assert_eq!(o.snapshots, 0);
    assert!(o.force_gc);
    assert_eq!(o.cgroup_root, None);
    // The defaults satisfy their own relations.
    for spec in NUMBERS {
        spec.check_with_interval(spec.default, INTERVAL_MS.default)
            .unwrap();
    }
}

#[test]
fn each_end_of_each_range_is_where_the_spec_says() {
    for spec in NUMBERS {
        for (limit, step) in [(spec.range.min, -1.0), (spec.range.max, 1.0)] {
            let Some(l) = limit else { continue };
            let at = spec.check(l.value);
            assert_eq!(at.is_ok(), l.inclusive, "{} at {}", spec.name, l.value);
            let beyond = l.value + step * l.value.abs().max(1.0) * 1e-6;
            let beyond = if spec.range.integer {
                l.value + step
            } else {
                beyond
            };
            assert!(spec.check(beyond).is_err(), "{} at {beyond}", spec.name);
        }
    }
}

#[test]
fn out_of_range_values_name_their_option_and_are_not_clamped() {
    let cases: [(GivenOptions, &str); 9] = [
        (
            GivenOptions {
                interval_ms: Some(5.0),
                ..Default::default()
            },
            "intervalMs",
        ),
        (
            GivenOptions {
                interval_ms: Some(f64::NAN),
                ..Default::default()
            },
            "intervalMs",
        ),
        (
            GivenOptions {
                window_ms: Some(0.0),
                ..Default::default()
            },
            "windowMs",
        ),
        (
            GivenOptions {
                confidence: Some(1.0),
                ..Default::default()
            },
            "confidence",
        ),
        (
            GivenOptions {
                warmup_ms: Some(f64::INFINITY),
                ..Default::default()
            },
            "warmupMs",
        ),
        (
            GivenOptions {
                snapshots: Some(1.5),
                ..Default::default()
            },
            "snapshots",
        ),
        (
            GivenOptions {
                snapshots: Some(21.0),
                ..Default::default()
            },
            "snapshots",
        ),
        (
            GivenOptions {
                cgroup_root: Some(String::new()),
                ..Default::default()
            },
            "cgroupRoot",
        ),
        (
            GivenOptions {
                interval_ms: Some(1e4),
                window_ms: Some(39_999.0),
                ..Default::default()
            },
            "windowMs",
        ),
    ];
    for (given, name) in cases {
        let msg = name_of(resolve(&given));
        assert!(msg.starts_with(&format!("invalid option {name}:")), "{msg}");
    }
}

/// Each end of `spec`'s range, and just past each.
fn probes(spec: &NumberSpec) -> Vec<f64> {
    [spec.range.min, spec.range.max]
        .into_iter()
        .flatten()
        .flat_map(|l| [l.value, l.value - 1e-6, l.value + 1e-6])
        .chain([f64::NAN, spec.default])
        .collect()
}

/// The detector and the urgent rule take exactly what the schema takes:
/// a range of their own would be a twin.
#[test]
fn the_cores_check_against_the_schema_alone() {
    use crate::watch::assessment::DetectorConfig;
    use crate::watch::urgent::UrgentConfig;
    let d = resolve(&GivenOptions::default()).unwrap();
    let detector = |f: &dyn Fn(&mut DetectorConfig)| {
        let mut cfg = DetectorConfig {
            window_ms: d.window_ms,
            min_growth_bytes_per_min: d.min_growth_bytes_per_min,
            confidence: d.confidence,
            warmup_ms: d.warmup_ms,
        };
        f(&mut cfg);
        cfg.validate().is_ok()
    };
    for v in probes(&WINDOW_MS) {
        assert_eq!(
            detector(&|c| c.window_ms = v),
            WINDOW_MS.check(v).is_ok(),
            "{v}"
        );
    }
    for v in probes(&MIN_GROWTH_BYTES_PER_MIN) {
        let ok = MIN_GROWTH_BYTES_PER_MIN.check(v).is_ok();
        assert_eq!(detector(&|c| c.min_growth_bytes_per_min = v), ok, "{v}");
    }
    for v in probes(&CONFIDENCE) {
        assert_eq!(
            detector(&|c| c.confidence = v),
            CONFIDENCE.check(v).is_ok(),
            "{v}"
        );
    }
    for v in probes(&WARMUP_MS) {
        assert_eq!(
            detector(&|c| c.warmup_ms = v),
            WARMUP_MS.check(v).is_ok(),
            "{v}"
        );
    }
    let urgent = |i: f64, h: f64| UrgentConfig::new(i, h, d.min_growth_bytes_per_min).is_ok();
    for v in probes(&INTERVAL_MS) {
        // A horizon long enough for any interval, so only the interval decides.
        assert_eq!(urgent(v, f64::MAX), INTERVAL_MS.check(v).is_ok(), "{v}");
    }
    for v in probes(&URGENT_HORIZON_MS)
        .into_iter()
        .chain([4999.0, 5000.0])
    {
        let ok = URGENT_HORIZON_MS.check_with_interval(v, 1000.0).is_ok();
        assert_eq!(urgent(1000.0, v), ok, "{v}");
    }
}

#[test]
fn the_urgent_horizon_holds_five_intervals() {
    let g = |h| GivenOptions {
        interval_ms: Some(1000.0),
        urgent_horizon_ms: Some(h),
        ..Default::default()
    };
    assert_eq!(resolve(&g(5000.0)).unwrap().urgent_horizon_ms, 5000.0);
    let msg = name_of(resolve(&g(4999.0)));
    assert!(
        msg.contains("urgentHorizonMs") && msg.contains("5 x intervalMs"),
        "{msg}"
    );
}

#[test]
fn heap_profile_defaults_follow_snapshots() {
    let none = GivenHeapProfile::default();
    let o = resolve_heap_profile(&none, 0).unwrap();
    assert_eq!(
        o,
        HeapProfileOptions {
            when: "never",
            sampling_interval_bytes: 524_288.0,
            save_every_ms: 30_000.0,
        }
    );
    assert_eq!(resolve_heap_profile(&none, 2).unwrap().when, "suspected");
    let always = GivenHeapProfile {
        when: Some("always".into()),
        ..Default::default()
    };
    assert_eq!(resolve_heap_profile(&always, 0).unwrap().when, "always");
}

#[test]
fn heap_profile_values_are_checked_and_named_under_heap_profile() {
    let refused = |g: GivenHeapProfile| match resolve_heap_profile(&g, 0) {
        Ok(o) => panic!("accepted {o:?}"),
        Err(e) => {
            assert_eq!(e.code(), "ERR_LEAKWATCH_INVALID_OPTION");
            e.message
        }
    };
    let sampling = |v| GivenHeapProfile {
        sampling_interval_bytes: Some(v),
        ..Default::default()
    };
    let save = |v| GivenHeapProfile {
        save_every_ms: Some(v),
        ..Default::default()
    };
    assert_eq!(
        refused(sampling(1023.0)),
        "invalid option heapProfile.samplingIntervalBytes: expected an integer in [1024, 1073741824], got 1023"
    );
    assert_eq!(
        refused(save(99.0)),
        "invalid option heapProfile.saveEveryMs: expected an integer in [100, 2147483647], got 99"
    );
    for bad in [1024.5, 2f64.powi(30) + 1.0, f64::NAN] {
        assert!(refused(sampling(bad)).contains("heapProfile.samplingIntervalBytes"));
    }
    for bad in [100.5, 2f64.powi(31), f64::INFINITY] {
        assert!(refused(save(bad)).contains("heapProfile.saveEveryMs"));
    }
    for ok in [1024.0, 2f64.powi(30)] {
        let o = resolve_heap_profile(&sampling(ok), 0).unwrap();
        assert_eq!(o.sampling_interval_bytes, ok);
    }
    let o = resolve_heap_profile(&save(2f64.powi(31) - 1.0), 0).unwrap();
    assert_eq!(o.save_every_ms, 2_147_483_647.0);
    let when = GivenHeapProfile {
        when: Some("sometimes".into()),
        ..Default::default()
    };
    assert_eq!(
        refused(when),
        "invalid option heapProfile.when: expected one of suspected, always, never, got \"sometimes\""
    );
}

#[test]
fn the_standalone_profiler_takes_any_interval_down_to_one_byte() {
    assert_eq!(profiler_sampling_interval(None).unwrap(), 524_288.0);
    assert_eq!(
        PROFILER_SAMPLING_INTERVAL_BYTES.default,
        SAMPLING_INTERVAL_BYTES.default
    );
    assert_eq!(profiler_sampling_interval(Some(1.0)).unwrap(), 1.0);
    for bad in [0.0, 1.5, 2f64.powi(30) + 1.0] {
        let e = profiler_sampling_interval(Some(bad)).unwrap_err();
        assert!(e.message.starts_with(
            "invalid option samplingIntervalBytes: expected an integer in [1, 1073741824]"
        ));
    }
}

#[test]
fn the_docs_text_adds_the_interval_rule() {
    assert_eq!(INTERVAL_MS.doc(), "in [10, 2147483647]");
    assert_eq!(WINDOW_MS.doc(), "> 0 and >= 4 x intervalMs");
    assert_eq!(SNAPSHOTS.doc(), "integer in [0, 20]");
}

use super::*;
use crate::heap::DiffOptions;

fn one(name: &str, v: f64) -> GivenOptions {
    let mut g = GivenOptions::default();
    let slot = match name {
        "minRetainedDelta" => &mut g.min_retained_delta,
        "minCountDelta" => &mut g.min_count_delta,
        "maxSuspects" => &mut g.max_suspects,
        "topClasses" => &mut g.top_classes,
        other => unreachable!("no option {other}"),
    };
    *slot = Some(v);
    g
}

#[test]
fn defaults_are_the_specs_and_the_analyzers() {
    let r = resolve(&GivenOptions::default()).unwrap();
    let o = r.analyze_options();
    let d = DiffOptions::default();
    assert_eq!(r.min_retained_delta as f64, MIN_RETAINED_DELTA.default);
    assert_eq!(d.min_retained_delta, r.min_retained_delta);
    assert_eq!(d.min_count_delta as f64, MIN_COUNT_DELTA.default);
    assert_eq!(d.max_suspects as f64, MAX_SUSPECTS.default);
    assert_eq!(o.top_classes as f64, TOP_CLASSES.default);
    assert_eq!(AnalyzeOptions::default().top_classes, o.top_classes);
    assert!(!o.single_suspects);
    assert_eq!(r.profiles, None);
}

#[test]
fn each_end_of_each_range_is_taken_and_one_past_it_refused() {
    for spec in NUMBERS {
        let (Some(lo), Some(hi)) = (spec.range.min, spec.range.max) else {
            panic!("{} is bounded", spec.name)
        };
        assert!(resolve(&one(spec.name, lo.value)).is_ok(), "{}", spec.name);
        assert!(resolve(&one(spec.name, hi.value)).is_ok(), "{}", spec.name);
        for bad in [lo.value - 1.0, hi.value + 1.0, 0.5, f64::NAN, f64::INFINITY] {
            let e = resolve(&one(spec.name, bad)).unwrap_err();
            assert_eq!(e.code(), "ERR_LEAKWATCH_INVALID_OPTION");
            assert!(
                e.message.starts_with(&format!(
                    "invalid option {}: expected an integer in [{}, {}], got ",
                    spec.name, lo.value, hi.value
                )),
                "{}",
                e.message
            );
        }
    }
}

#[test]
fn values_reach_the_analyzer_unclamped() {
    let g = GivenOptions {
        min_retained_delta: Some(1.0),
        min_count_delta: Some(0.0),
        max_suspects: Some(3.0),
        top_classes: Some(4.0),
        single_suspects: Some(true),
        profiles: Some(vec!["a.heapprofile".into()]),
    };
    let r = resolve(&g).unwrap();
    let o = r.analyze_options();
    assert_eq!(o.diff.min_retained_delta, 1);
    assert_eq!(o.diff.min_count_delta, 0);
    assert_eq!(o.diff.max_suspects, 3);
    assert_eq!(o.top_classes, 4);
    assert!(o.single_suspects);
    assert_eq!(
        r.profiles.as_deref(),
        Some(&["a.heapprofile".to_string()][..])
    );
}

#[test]
fn profiles_at_most_three_none_empty() {
    let with = |p: Vec<&str>| GivenOptions {
        profiles: Some(p.into_iter().map(String::from).collect()),
        ..GivenOptions::default()
    };
    assert!(resolve(&with(vec![])).is_ok());
    assert!(resolve(&with(vec!["a", "b", "c"])).is_ok());
    let e = resolve(&with(vec!["a", "b", "c", "d"])).unwrap_err();
    assert_eq!(
        e.message,
        "invalid option profiles: expected at most 3 .heapprofile paths, oldest first, got 4"
    );
    let e = resolve(&with(vec!["a", ""])).unwrap_err();
    assert_eq!(e.code(), "ERR_LEAKWATCH_INVALID_OPTION");
    assert!(e.message.starts_with("invalid option profiles: "));
}

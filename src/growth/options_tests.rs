use super::*;

fn given_one(name: &str, v: f64) -> GivenOptions {
    let mut g = GivenOptions::default();
    let slot = match name {
        "iterations" => &mut g.iterations,
        "rounds" => &mut g.rounds,
        "budgetBytesPerIteration" => &mut g.budget_bytes_per_iteration,
        "confidence" => &mut g.confidence,
        "warmup" => &mut g.warmup,
        "timeoutMs" => &mut g.timeout_ms,
        other => unreachable!("no option {other}"),
    };
    *slot = Some(v);
    g
}

#[test]
fn defaults_are_the_specs() {
    let o = resolve(&GivenOptions::default()).unwrap();
    assert_eq!(o.iterations, None);
    assert_eq!(o.warmup, None);
    assert_eq!(Some(f64::from(o.rounds)), ROUNDS.default);
    assert_eq!(Some(o.budget_bytes_per_iteration), BUDGET.default);
    assert_eq!(Some(o.confidence), CONFIDENCE.default);
    assert_eq!(Some(f64::from(o.timeout_ms)), TIMEOUT_MS.default);
}

#[test]
fn each_integer_range_takes_its_ends_and_refuses_past_them() {
    for spec in [ITERATIONS, ROUNDS, WARMUP, TIMEOUT_MS] {
        let (Some(lo), Some(hi)) = (spec.range.min, spec.range.max) else {
            panic!("{} is bounded", spec.name)
        };
        // The lowest rounds cannot reach the default confidence: ask for less.
        let at = |v| GivenOptions {
            confidence: Some(0.6),
            ..given_one(spec.name, v)
        };
        assert!(resolve(&at(lo.value)).is_ok(), "{}", spec.name);
        assert!(resolve(&at(hi.value)).is_ok(), "{}", spec.name);
        for bad in [lo.value - 1.0, hi.value + 1.0, lo.value + 0.5, f64::NAN] {
            let err = resolve(&at(bad)).unwrap_err();
            assert_eq!(err.code(), "ERR_LEAKWATCH_INVALID_OPTION");
            assert!(
                err.message.starts_with(&format!(
                    "invalid option {}: expected an integer in [",
                    spec.name
                )),
                "{}",
                err.message
            );
        }
    }
}

#[test]
fn budget_and_confidence_ranges() {
    assert!(resolve(&given_one("budgetBytesPerIteration", 0.0)).is_ok());
    assert!(resolve(&given_one("budgetBytesPerIteration", 1e300)).is_ok());
    for bad in [-0.5, f64::INFINITY, f64::NAN] {
        let err = resolve(&given_one("budgetBytesPerIteration", bad)).unwrap_err();
        assert_eq!(
            err.message,
            format!(
                "invalid option budgetBytesPerIteration: expected a number >= 0, got {}",
                crate::range::as_js(bad)
            )
        );
    }
    assert!(resolve(&given_one("confidence", 0.51)).is_ok());
    for bad in [0.5, 1.0] {
        let err = resolve(&given_one("confidence", bad)).unwrap_err();
        assert_eq!(
            err.message,
            format!("invalid option confidence: expected a number in (0.5, 1), got {bad}")
        );
    }
}

#[test]
fn too_few_rounds_for_the_confidence_are_refused() {
    // 4 samples strictly increasing reach 1 - p of about 0.95.
    let few = GivenOptions {
        rounds: Some(3.0),
        ..GivenOptions::default()
    };
    let err = resolve(&few).unwrap_err();
    assert!(
        err.message
            .starts_with("invalid option rounds: 3 rounds can reach a confidence of at most 0.9"),
        "{}",
        err.message
    );
    // The default rounds reach the default confidence.
    assert!(max_confidence(11) >= 0.99);
    assert!(max_confidence(2) == 0.0);
}

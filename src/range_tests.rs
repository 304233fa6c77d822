//! The range rule (range.rs): ends, integers, non-finite values, and the
//! one text for errors and docs.
use super::*;

fn refused(r: Range, v: f64) -> String {
    match r.check("opt", v) {
        Ok(v) => panic!("accepted {v} in {r}"),
        Err(e) => {
            assert_eq!(e.name, "opt");
            e.why
        }
    }
}

#[test]
fn inclusive_ends_are_allowed_exclusive_ones_refused() {
    let r = Range::between(0.5, false, 1.0, false);
    assert_eq!(refused(r, 0.5), "expected a number in (0.5, 1), got 0.5");
    assert_eq!(refused(r, 1.0), "expected a number in (0.5, 1), got 1");
    assert_eq!(r.check("opt", 0.95), Ok(0.95));
    let r = Range::between(10.0, true, MAX_TIMER_MS, true);
    assert_eq!(r.check("opt", 10.0), Ok(10.0));
    assert_eq!(r.check("opt", MAX_TIMER_MS), Ok(MAX_TIMER_MS));
    assert_eq!(
        refused(r, 9.999),
        "expected a number in [10, 2147483647], got 9.999"
    );
    assert_eq!(
        refused(r, MAX_TIMER_MS + 1.0),
        "expected a number in [10, 2147483647], got 2147483648"
    );
}

#[test]
fn open_above_ranges_take_any_large_number() {
    let r = Range::above(0.0);
    assert_eq!(r.check("opt", 1e300), Ok(1e300));
    assert_eq!(refused(r, 0.0), "expected a number > 0, got 0");
    assert_eq!(refused(r, -0.0), "expected a number > 0, got -0");
    let r = Range::at_least(0.0);
    assert_eq!(r.check("opt", 0.0), Ok(0.0));
    assert_eq!(refused(r, -1.0), "expected a number >= 0, got -1");
}

#[test]
fn integers_refuse_fractions_and_state_it() {
    let r = Range::integers(0.0, 9.0);
    assert_eq!(r.check("opt", 0.0), Ok(0.0));
    assert_eq!(r.check("opt", 9.0), Ok(9.0));
    assert_eq!(refused(r, 4.5), "expected an integer in [0, 9], got 4.5");
    assert_eq!(refused(r, 12.0), "expected an integer in [0, 9], got 12");
    let r = Range::integers(1.0, MAX_SAFE_INTEGER);
    assert_eq!(r.check("opt", MAX_SAFE_INTEGER), Ok(MAX_SAFE_INTEGER));
    assert!(!r.contains(MAX_SAFE_INTEGER + 2.0));
}

#[test]
fn non_finite_values_are_refused_by_every_range() {
    let unbounded = Range {
        min: None,
        max: None,
        integer: false,
    };
    for r in [
        unbounded,
        Range::at_least(0.0),
        Range::integers(0.0, 9.0),
        Range::between(0.5, false, 1.0, false),
    ] {
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(refused(r, v).ends_with(&format!("got {v}")), "{r} took {v}");
        }
    }
    assert_eq!(
        refused(unbounded, f64::NAN),
        "expected a finite number, got NaN"
    );
}

#[test]
fn the_text_is_what_the_docs_state() {
    let text = |r: Range| r.to_string();
    assert_eq!(text(Range::integers(0.0, 20.0)), "integer in [0, 20]");
    assert_eq!(text(Range::between(0.5, false, 1.0, false)), "in (0.5, 1)");
    assert_eq!(text(Range::above(0.0)), "> 0");
    let below = Range {
        min: None,
        max: Some(Limit {
            value: 1.0,
            inclusive: false,
        }),
        integer: true,
    };
    assert_eq!(text(below), "integer < 1");
    assert_eq!(refused(below, 1.0), "expected an integer < 1, got 1");
    let any_integer = Range {
        min: None,
        max: None,
        integer: true,
    };
    assert_eq!(text(any_integer), "integer");
    assert_eq!(refused(any_integer, 0.5), "expected an integer, got 0.5");
}

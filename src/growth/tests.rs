use super::*;

fn xs(n: usize) -> Vec<f64> {
    (0..n).map(|i| (i * 2) as f64).collect()
}

#[test]
fn a_staircase_is_significant_but_not_persistent() {
    let x = xs(11);
    let stairs = [
        0.0, 0.0, 3000.0, 3000.0, 3000.0, 3000.0, 6500.0, 6500.0, 6500.0, 6500.0, 9800.0,
    ];
    let v = verdict(&x, &stairs, 0.99, 128.0);
    assert!(v.significant);
    assert!(v.slope > 128.0);
    assert!(v.median_step < 128.0 * PERSISTENCE);
    assert!(!v.leaking);
}

#[test]
fn a_steady_leak_is_a_leak_only_above_the_budget() {
    let x = xs(11);
    let leak: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(i, v)| 1000.0 + 300.0 * v + (i % 3) as f64 * 50.0)
        .collect();
    let v = verdict(&x, &leak, 0.99, 128.0);
    assert!(v.leaking, "{v:?}");
    assert!(!verdict(&x, &leak, 0.99, 400.0).leaking);
}

#[test]
fn flat_or_falling_heaps_are_not_significant() {
    let x = xs(11);
    let flat = vec![5000.0; 11];
    let v = verdict(&x, &flat, 0.99, 32.0);
    assert_eq!((v.p, v.significant, v.leaking), (1.0, false, false));
    let falling: Vec<f64> = x.iter().map(|v| 10000.0 - v).collect();
    assert!(!verdict(&x, &falling, 0.99, 0.0).significant);
}

#[test]
fn the_round_floor_raises_the_budget_for_few_calls() {
    assert_eq!(budget(32.0, 1.0), ROUND_FLOOR_BYTES);
    assert_eq!(budget(32.0, 1000.0), 32.0);
    assert_eq!(budget(32.0, 0.0), ROUND_FLOOR_BYTES);
    // 100 B per call with one call per round stays under a 256 B round.
    let x: Vec<f64> = (0..11).map(f64::from).collect();
    let y: Vec<f64> = x.iter().map(|v| 100.0 * v).collect();
    assert!(!verdict(&x, &y, 0.99, budget(32.0, 1.0)).leaking);
    assert!(verdict(&x, &y, 0.99, budget(32.0, 100.0)).leaking);
}

#[test]
fn a_plateau_overrules_the_first_window_and_nothing_else_does() {
    let x = xs(11);
    let leak: Vec<f64> = x.iter().map(|v| 300.0 * v).collect();
    let flat = vec![6000.0; 11];
    let first = verdict(&x, &leak, 0.99, 32.0);
    let plateau = verdict(&x, &flat, 0.99, 32.0);
    assert!(first.leaking && !plateau.leaking);
    assert!(plateau_overrules(first.leaking, plateau.leaking));
    assert!(!plateau_overrules(first.leaking, first.leaking));
    assert!(!plateau_overrules(plateau.leaking, first.leaking));
}

#[test]
fn too_few_points_carry_no_evidence() {
    let v = verdict(&[0.0], &[1.0], 0.5, 1.0);
    assert!(v.slope.is_nan() && !v.leaking);
    assert!(median_step(&[], &[]).is_nan());
}

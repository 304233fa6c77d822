//! Robust trend statistics: the Theil-Sen slope (median of pairwise slopes,
//! which ignores up to ~29% outliers such as one post-GC reading taken while a
//! big batch was alive) and the Mann-Kendall test for a monotonic trend (rank
//! based, so it needs no assumption about how the noise is distributed).

/// Theil-Sen estimate over `(x, y)` points. Returns `(slope, intercept)`, or
/// `None` when fewer than two points have distinct `x`.
pub fn theil_sen(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    let mut slopes = Vec::with_capacity(points.len() * points.len().saturating_sub(1) / 2);
    for (i, a) in points.iter().enumerate() {
        for b in &points[i + 1..] {
            let dx = b.0 - a.0;
            if dx.abs() > f64::EPSILON {
                slopes.push((b.1 - a.1) / dx);
            }
        }
    }
    let slope = median(&mut slopes)?;
    let mut residuals: Vec<f64> = points.iter().map(|p| p.1 - slope * p.0).collect();
    let intercept = median(&mut residuals)?;
    Some((slope, intercept))
}

/// Median of the values (reorders them); `None` when empty or all NaN.
pub fn median(values: &mut [f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannKendall {
    /// Concordant minus discordant pairs.
    pub s: f64,
    /// Variance of `s` under "no trend", corrected for ties.
    pub variance: f64,
    /// Normal approximation with continuity correction.
    pub z: f64,
    /// One-sided p-value for "increasing": small means a significant rise.
    pub p_increasing: f64,
}

/// Mann-Kendall test on a series already in time order, with the tie
/// correction (post-GC readings of a quiet heap repeat exact byte counts).
pub fn mann_kendall(ys: &[f64]) -> Option<MannKendall> {
    let n = ys.len();
    if n < 3 {
        return None;
    }
    let mut s = 0.0;
    for i in 0..n {
        for j in i + 1..n {
            s += sign(ys[j] - ys[i]);
        }
    }
    let nf = n as f64;
    let mut var = nf * (nf - 1.0) * (2.0 * nf + 5.0);
    let mut sorted: Vec<f64> = ys.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && sorted[j] == sorted[i] {
            j += 1;
        }
        let t = (j - i) as f64;
        if t > 1.0 {
            var -= t * (t - 1.0) * (2.0 * t + 5.0);
        }
        i = j;
    }
    var /= 18.0;
    let z = if var <= 0.0 {
        0.0
    } else if s > 0.0 {
        (s - 1.0) / var.sqrt()
    } else if s < 0.0 {
        (s + 1.0) / var.sqrt()
    } else {
        0.0
    };
    Some(MannKendall {
        s,
        variance: var,
        z,
        p_increasing: 1.0 - normal_cdf(z),
    })
}

/// Exact one-sided p-value of the Mann-Kendall test for "increasing" on a
/// short series (3 to 20 readings): the share of the n! orderings of n values
/// with at most as many falling pairs as this one (Mahonian numbers). A tie
/// counts as a falling pair, so ties only make the test stricter. Five
/// strictly rising readings give 1/120; `None` outside 3..=20.
pub fn exact_p_increasing(ys: &[f64]) -> Option<f64> {
    let n = ys.len();
    if !(3..=20).contains(&n) {
        return None;
    }
    let mut falling = 0usize;
    for (i, a) in ys.iter().enumerate() {
        falling += ys[i + 1..].iter().filter(|b| *b <= a).count();
    }
    // counts[k]: orderings of m values with exactly k inversions, built up
    // one value at a time (the new value adds 0..m inversions).
    let max = n * (n - 1) / 2;
    let mut counts = vec![0.0f64; max + 1];
    counts[0] = 1.0;
    for m in 1..n {
        let mut next = vec![0.0f64; max + 1];
        for (k, c) in counts.iter().enumerate().filter(|(_, c)| **c > 0.0) {
            for add in 0..=m {
                if let Some(slot) = next.get_mut(k + add) {
                    *slot += c;
                }
            }
        }
        counts = next;
    }
    let total: f64 = counts.iter().sum();
    let at_most: f64 = counts.iter().take(falling + 1).sum();
    Some(at_most / total)
}

fn sign(d: f64) -> f64 {
    if d > 0.0 {
        1.0
    } else if d < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// Standard normal CDF through erfc (Numerical Recipes' Chebyshev fit,
/// fractional error below 1.2e-7: plenty for a confidence figure).
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn theil_sen_recovers_a_clean_line() {
        let pts: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, 3.0 * i as f64 + 7.0)).collect();
        let (m, b) = theil_sen(&pts).unwrap();
        assert!(close(m, 3.0, 1e-12) && close(b, 7.0, 1e-12));
    }

    #[test]
    fn theil_sen_ignores_a_few_outliers() {
        let mut pts: Vec<(f64, f64)> = (0..12).map(|i| (i as f64, 2.0 * i as f64)).collect();
        pts[3].1 += 500.0;
        pts[9].1 -= 400.0;
        let (m, _) = theil_sen(&pts).unwrap();
        assert!(close(m, 2.0, 0.2), "slope {m}");
    }

    #[test]
    fn theil_sen_needs_two_distinct_x() {
        assert!(theil_sen(&[]).is_none());
        assert!(theil_sen(&[(1.0, 1.0), (1.0, 5.0)]).is_none());
    }

    #[test]
    fn median_of_even_and_odd() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }

    #[test]
    fn mann_kendall_monotonic_rise_is_significant() {
        let ys: Vec<f64> = (0..8).map(|i| i as f64).collect();
        let mk = mann_kendall(&ys).unwrap();
        assert_eq!(mk.s, 28.0);
        assert!(mk.p_increasing < 0.001, "{mk:?}");
    }

    #[test]
    fn mann_kendall_flat_and_falling_are_not() {
        let flat = mann_kendall(&[5.0; 10]).unwrap();
        assert_eq!(flat.s, 0.0);
        assert!(close(flat.p_increasing, 0.5, 1e-6));
        let down: Vec<f64> = (0..8).map(|i| -(i as f64)).collect();
        assert!(mann_kendall(&down).unwrap().p_increasing > 0.99);
    }

    #[test]
    fn mann_kendall_alternating_series_is_not_significant() {
        let ys: Vec<f64> = (0..12)
            .map(|i| if i % 2 == 0 { 1.0 } else { 9.0 })
            .collect();
        assert!(mann_kendall(&ys).unwrap().p_increasing > 0.2);
    }

    #[test]
    fn mann_kendall_needs_three_points() {
        assert!(mann_kendall(&[1.0, 2.0]).is_none());
    }

    #[test]
    fn exact_p_matches_the_permutation_counts() {
        let rising: Vec<f64> = (0..5).map(f64::from).collect();
        assert!(close(
            exact_p_increasing(&rising).unwrap(),
            1.0 / 120.0,
            1e-12
        ));
        // One falling pair among six: (1 + 5) / 720.
        let six = [1.0, 2.0, 4.0, 3.0, 5.0, 6.0];
        assert!(close(exact_p_increasing(&six).unwrap(), 6.0 / 720.0, 1e-12));
        // A tie is no rise.
        let tied = [1.0, 2.0, 2.0, 3.0, 4.0];
        assert!(exact_p_increasing(&tied).unwrap() > 1.0 / 120.0);
        let falling: Vec<f64> = (0..5).map(|i| -f64::from(i)).collect();
        assert!(close(exact_p_increasing(&falling).unwrap(), 1.0, 1e-12));
        assert!(exact_p_increasing(&[1.0, 2.0]).is_none());
    }

    #[test]
    fn normal_cdf_known_values() {
        assert!(close(normal_cdf(0.0), 0.5, 1e-7));
        assert!(close(normal_cdf(1.959_964), 0.975, 1e-6));
        assert!(close(normal_cdf(-1.644_854), 0.05, 1e-6));
    }
}

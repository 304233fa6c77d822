'use strict'

// Trend statistics for measureGrowth: Theil-Sen slope and a one-sided
// Mann-Kendall test. Rank-based on purpose: post-GC heap samples have rare
// large steps (a function getting optimized, a hidden class transition) that
// would dominate a least-squares slope and a t-test.
// The watchdog has its own copy in Rust (src/watch/trend.rs, another branch);
// the two are meant to be folded together later.

/** Median of a numeric array (copied; the input is not reordered). */
function median(values) {
  if (values.length === 0) return NaN
  const s = Float64Array.from(values).sort()
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** Theil-Sen estimator: the median slope over all pairs of points with distinct x. */
function theilSen(xs, ys) {
  const slopes = []
  for (let i = 0; i < xs.length; i++) {
    for (let j = i + 1; j < xs.length; j++) {
      const dx = xs[j] - xs[i]
      if (dx !== 0) slopes.push((ys[j] - ys[i]) / dx)
    }
  }
  return slopes.length ? median(slopes) : NaN
}

// Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), enough for p-values we
// compare against thresholds like 0.01.
function erf(x) {
  const sign = x < 0 ? -1 : 1
  const a = Math.abs(x)
  const t = 1 / (1 + 0.3275911 * a)
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a)
  return sign * y
}

/** Upper tail of the standard normal distribution, P(Z > z). */
function normalUpperTail(z) {
  return 0.5 * (1 - erf(z / Math.SQRT2))
}

/**
 * One-sided Mann-Kendall test for an increasing trend in `ys` (in sample
 * order). Returns S, its tie-corrected variance, z (with continuity
 * correction) and the p-value of "no trend" against "increasing".
 */
function mannKendall(ys) {
  const n = ys.length
  let s = 0
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) s += Math.sign(ys[j] - ys[i])
  }
  // Exactly equal post-GC heap sizes are common in a quiet process, so the
  // tie correction matters here.
  const counts = new Map()
  for (const y of ys) counts.set(y, (counts.get(y) || 0) + 1)
  let ties = 0
  for (const t of counts.values()) if (t > 1) ties += t * (t - 1) * (2 * t + 5)
  const variance = (n * (n - 1) * (2 * n + 5) - ties) / 18
  if (n < 3 || variance <= 0) return { s, variance, z: 0, p: 1 }
  const z = s > 0 ? (s - 1) / Math.sqrt(variance) : s < 0 ? (s + 1) / Math.sqrt(variance) : 0
  return { s, variance, z, p: normalUpperTail(z) }
}

/** Median growth per unit of x between consecutive samples. */
function medianStep(xs, ys) {
  const steps = []
  for (let i = 1; i < xs.length; i++) {
    const dx = xs[i] - xs[i - 1]
    if (dx !== 0) steps.push((ys[i] - ys[i - 1]) / dx)
  }
  return steps.length ? median(steps) : NaN
}

// A leak grows the heap in most rounds; V8 warming up (compiling, allocating
// feedback, growing its string table) makes a staircase: a few steps of KiBs
// between flat rounds, which a slow function measured with a few calls per
// round turns into a steep, significant slope. The typical round must grow by
// at least this share of the budget. A fraction, not all of it, because
// leaked Maps and arrays grow their backing stores by doubling: between
// doublings only the entries themselves grow (about half of the slope).
const PERSISTENCE = 0.25

/**
 * The growth verdict on one window of samples: slope in bytes per iteration,
 * confidence that the heap grows (1 - p), and whether the test, the budget
 * and the persistence of the growth all say "leak".
 */
function trend(xs, ys, { confidence, budget }) {
  const slope = theilSen(xs, ys)
  const step = medianStep(xs, ys)
  const mk = mannKendall(ys)
  const achieved = 1 - mk.p
  return {
    slope,
    medianStep: step,
    confidence: achieved,
    p: mk.p,
    significant: achieved >= confidence,
    leaking: achieved >= confidence && slope > budget && step > budget * PERSISTENCE,
  }
}

module.exports = { median, theilSen, medianStep, mannKendall, normalUpperTail, trend, PERSISTENCE }

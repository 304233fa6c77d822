'use strict'

// Trend statistics for measureGrowth: Theil-Sen slope and a one-sided
// Mann-Kendall test. Rank-based on purpose: post-GC heap samples have rare
// large steps (a function getting optimized, a hidden class transition) that
// would dominate a least-squares slope and a t-test.
// Theil-Sen, Mann-Kendall and the median are the watchdog's own (Rust,
// src/watch/trend.rs), so both features judge growth the same way.

const { theilSen, mannKendall, median } = require('./native')

/** Median growth per unit of x between consecutive samples. */
function medianStep(xs, ys) {
  const steps = []
  for (let i = 1; i < xs.length; i++) {
    const dx = xs[i] - xs[i - 1]
    if (dx !== 0) steps.push((ys[i] - ys[i - 1]) / dx)
  }
  return median(steps)
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

module.exports = { median, theilSen, medianStep, mannKendall, trend, PERSISTENCE }

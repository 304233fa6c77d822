'use strict'

// Trend statistics for measureGrowth: Theil-Sen slope and a one-sided
// Mann-Kendall test. Rank-based on purpose: post-GC heap samples have rare
// large steps (a function getting optimized, a hidden class transition) that
// would dominate a least-squares slope and a t-test.
// Theil-Sen, Mann-Kendall and the median are the watchdog's own (Rust,
// src/watch/trend.rs), so both features judge growth the same way; the
// verdict built on them is src/growth/mod.rs.

const { theilSen, mannKendall, median, growthVerdict, growthPlateauOverrules } = require('./native')

/**
 * The leak verdict on one window of samples, by the rules of the one verdict
 * module (src/growth/mod.rs: significance, size over the budget, persistence,
 * round floor): `{ slope, medianStep, confidence, p, significant, leaking,
 * budget }`, bytes per iteration. `iterations` (calls per round) raises the
 * budget to the round floor; without it the budget is used as given.
 */
function trend(xs, ys, { confidence, budget, iterations = Infinity }) {
  return growthVerdict(xs, ys, confidence, budget, iterations)
}

/** The plateau rule: the first window's "leak" stands only if the newest window agrees. */
const afterPlateauCheck = (first, recent) => (growthPlateauOverrules(first.leaking, recent.leaking) ? recent : first)

module.exports = { median, theilSen, mannKendall, trend, afterPlateauCheck }

'use strict'

// Trend statistics for measureGrowth: Theil-Sen slope and a one-sided
// Mann-Kendall test. Rank-based on purpose: post-GC heap samples have rare
// large steps (a function getting optimized, a hidden class transition) that
// would dominate a least-squares slope and a t-test.
// Theil-Sen, Mann-Kendall and the median are the watchdog's own (Rust,
// src/watch/trend.rs), so both features judge growth the same way; the
// verdict built on them is src/growth/mod.rs.

const { theilSen, mannKendall, median, growthWindow, growthNextStep } = require('./native')

/**
 * One window judged by the rules of the one verdict module
 * (src/growth/mod.rs: significance, size over the budget, persistence, round
 * floor), on the post-GC bytes (`raw`: `{ slope, medianStep, confidence, p,
 * significant, leaking, budget }`, bytes per iteration) and net of V8's
 * compiled bytes per sample (`net`), `compiledSlope` (bytes per iteration) and the
 * `judgement`: 'clean', 'leak' or 'compiling' (V8's compiling accounts for
 * the growth).
 */
function judgeWindow(xs, ys, compiled, { confidence, budget, iterations = Infinity }) {
  return growthWindow(xs, ys, compiled, confidence, budget, iterations)
}

/**
 * What the measurement does next: 'leak', 'no-leak' or 'extend' (half a
 * window more), from the judgement of the window judged before the newest (the
 * first window's, while `newest` is null), the newest window's, the extensions
 * run so far and whether another fits in time.
 */
const nextStep = (previous, newest, extensions, timeLeft) => growthNextStep(previous, newest, extensions, timeLeft)

module.exports = { median, theilSen, mannKendall, judgeWindow, nextStep }

'use strict'
// Paired, interleaved measurement for the profiler overhead benchmarks
// (bench/profiler.js, bench/profiler-overhead.js). On a shared machine the
// cost of one unit of work drifts by tens of percent over seconds; what stays
// comparable is two rounds run back to back. So each cycle runs every
// configuration once, in a shuffled order, and each configuration's cost is
// divided by the profiler-off round of the same cycle. The figure is the
// median of those ratios, with a 95% bootstrap interval: an overhead is
// resolved when the interval excludes it from the goal.
const { median } = require('./stats')

/** A small seeded PRNG (mulberry32), so a run's shuffles and bootstrap are reproducible. */
function rng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function shuffled(xs, rand) {
  const out = xs.slice()
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}

/** 95% percentile-bootstrap interval of the median of `xs`. */
function medianInterval(xs, rand, iters = 4000) {
  if (xs.length === 0) return [null, null]
  const meds = []
  for (let b = 0; b < iters; b++) {
    const s = []
    for (let i = 0; i < xs.length; i++) s.push(xs[Math.floor(rand() * xs.length)])
    meds.push(median(s))
  }
  meds.sort((a, b) => a - b)
  return [meds[Math.floor(0.025 * iters)], meds[Math.floor(0.975 * iters)]]
}

/**
 * Runs `cycles` cycles of `configs` (each config once per cycle, shuffled;
 * config `off` must be among them) through `measure(config)`, which resolves
 * `{ cost, ... }` (cost: CPU per unit of work). Resolves the rounds.
 */
async function interleave(configs, cycles, measure, { seed = 1, onRound } = {}) {
  const rand = rng(seed)
  const rounds = []
  for (let c = 0; c < cycles; c++) {
    for (const config of shuffled(configs, rand)) {
      const r = { cycle: c, config, ...(await measure(config)) }
      rounds.push(r)
      if (onRound) onRound(r)
    }
  }
  return rounds
}

/**
 * Per config: median cost, and the median of the per-cycle ratios to the
 * `off` round of the same cycle, as an overhead percentage with its 95%
 * interval. `extra(rounds)` adds figures of the config's own.
 */
function summarize(configs, rounds, { seed = 2, extra = () => ({}) } = {}) {
  const rand = rng(seed)
  const offByCycle = new Map(rounds.filter((r) => r.config === 'off').map((r) => [r.cycle, r.cost]))
  return configs.map((config) => {
    const mine = rounds.filter((r) => r.config === config)
    const ratios = mine.filter((r) => offByCycle.get(r.cycle) > 0).map((r) => r.cost / offByCycle.get(r.cycle))
    const [lo, hi] = config === 'off' ? [1, 1] : medianInterval(ratios, rand)
    const pct = (x) => (x == null ? null : +(100 * (x - 1)).toFixed(2))
    return {
      config,
      cycles: mine.length,
      medianCost: median(mine.map((r) => r.cost)),
      overheadPct: config === 'off' ? 0 : pct(median(ratios)),
      overheadPct95: [pct(lo), pct(hi)],
      ...extra(mine),
    }
  })
}

module.exports = { interleave, summarize, median }

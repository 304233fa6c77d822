'use strict'

// measureGrowth / assertNoLeak: does calling a function grow the heap?
// Rounds of calls with forced full GCs between them; the post-GC heap is
// regressed on cumulative calls (Theil-Sen) and tested for an increasing trend
// (Mann-Kendall). A leak is reported only if the trend is significant, steeper
// than a per-call byte budget, present in most rounds, and still there in a
// later window; on a leak, lib/growth-explain.js names the culprit.
const { performance } = require('perf_hooks')
const { LeakwatchError, invalidOption } = require('./errors')
const { isPlainObject, rejectUnknown } = require('./options')
const { trend, afterPlateauCheck, mannKendall } = require('./growth-stats')
const { settle, reading, runCalls, quietConsole } = require('./heap-probe')
const { formatLeak } = require('./growth-format')
const { explain } = require('./growth-explain')

const DEFAULTS = {
  rounds: 10,
  // From bench/assert.js (bench/results/assert.json): over 560 runs of 14
  // clean functions (two full runs) every slope but one was under 4.5 B per
  // call (one lazy-cache run reached 44 and was still not flagged: the
  // persistence or plateau rule held); the smallest leak of the corpus, a small object
  // pushed on an array, is 49 B per call. 32 B is 7x above the first and
  // still 1.5x below the second.
  budgetBytesPerIteration: 32,
  confidence: 0.99,
  timeoutMs: 30000,
}
const KEYS = new Set(['iterations', 'rounds', 'budgetBytesPerIteration', 'confidence', 'warmup', 'timeoutMs'])
// Without `iterations`, calls per round are chosen so that a round of calls
// takes about ROUND_MS, keeping the default assertion near 1-2 s.
const ROUND_MS = 100
const MAX_AUTO_ITERATIONS = 1000
// A calibration chunk must last this long for its per-call time to mean anything.
const CALIBRATION_MS = 20

function intOption(opts, name, min, max) {
  const v = opts[name]
  if (v === undefined) return undefined
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw invalidOption(name, `expected an integer from ${min} to ${max}, got ${JSON.stringify(v)}`)
  }
  return v
}

/** Best confidence a Mann-Kendall test on n strictly increasing samples can reach. */
function maxConfidence(n) {
  return 1 - mannKendall(Array.from({ length: n }, (_, i) => i)).p
}

function growthOptions(opts) {
  if (opts === undefined || opts === null) opts = {}
  if (!isPlainObject(opts)) throw invalidOption('options', 'expected an object')
  rejectUnknown(opts, KEYS)
  const o = {
    iterations: intOption(opts, 'iterations', 1, 1e8),
    rounds: intOption(opts, 'rounds', 3, 10000) ?? DEFAULTS.rounds,
    warmup: intOption(opts, 'warmup', 0, 1e9),
    timeoutMs: intOption(opts, 'timeoutMs', 1, 2 ** 31 - 1) ?? DEFAULTS.timeoutMs,
    budgetBytesPerIteration: DEFAULTS.budgetBytesPerIteration,
    confidence: DEFAULTS.confidence,
  }
  const budget = opts.budgetBytesPerIteration
  if (budget !== undefined) {
    if (typeof budget !== 'number' || !Number.isFinite(budget) || budget < 0) {
      throw invalidOption('budgetBytesPerIteration', `expected a non-negative number of bytes, got ${JSON.stringify(budget)}`)
    }
    o.budgetBytesPerIteration = budget
  }
  const conf = opts.confidence
  if (conf !== undefined) {
    if (typeof conf !== 'number' || !(conf > 0.5 && conf < 1)) {
      throw invalidOption('confidence', `expected a number between 0.5 and 1 (exclusive), got ${JSON.stringify(conf)}`)
    }
    o.confidence = conf
  }
  // Otherwise a leak could never be reported, and the test would pass for nothing.
  const reachable = maxConfidence(o.rounds + 1)
  if (reachable < o.confidence) {
    throw invalidOption('rounds', `${o.rounds} rounds can reach a confidence of at most ${reachable.toFixed(4)}, below confidence ${o.confidence}`)
  }
  return o
}

function timeout(o, phase) {
  return new LeakwatchError('ERR_LEAKWATCH_TIMEOUT',
    `measuring growth took longer than timeoutMs (${o.timeoutMs} ms) during ${phase}; lower iterations or rounds, or raise timeoutMs`)
}

/** Warm-up, with calibration of calls per round when `iterations` is not given. */
async function warmUp(fn, o, deadline) {
  let calls = 0
  let perCallMs = NaN
  let iterations = o.iterations
  if (iterations === undefined) {
    // Doubling chunks: the first calls are the slowest (compilation), so the
    // last chunk, not the first, estimates the steady per-call time.
    for (let chunk = 1; ; chunk *= 2) {
      const t0 = performance.now()
      if (!(await runCalls(fn, chunk, deadline))) throw timeout(o, 'warm-up')
      const ms = performance.now() - t0
      calls += chunk
      perCallMs = ms / chunk
      if (ms >= CALIBRATION_MS || chunk >= MAX_AUTO_ITERATIONS) break
    }
    iterations = Math.max(1, Math.min(MAX_AUTO_ITERATIONS, Math.floor(ROUND_MS / Math.max(perCallMs, 1e-6))))
  }
  const warmup = o.warmup ?? 2 * iterations
  if (calls < warmup) {
    const t0 = performance.now()
    if (!(await runCalls(fn, warmup - calls, deadline))) throw timeout(o, 'warm-up')
    if (Number.isNaN(perCallMs)) perCallMs = (performance.now() - t0) / (warmup - calls)
    calls = warmup
  }
  return { iterations, warmupCalls: calls, perCallMs }
}

// Preallocated so that recording a sample allocates nothing on the JS heap:
// a growing samples array would itself be a steady per-round "leak", which
// with one call per round is a hundred bytes per iteration.
class Recorder {
  constructor(capacity) {
    this.n = 0
    this.x = new Float64Array(capacity)
    this.heap = new Float64Array(capacity)
    this.ext = new Float64Array(capacity)
  }

  async take(cumulative, gc) {
    await settle(gc)
    const r = reading()
    this.x[this.n] = cumulative
    this.heap[this.n] = r.heapUsed
    this.ext[this.n] = r.external
    this.n++
  }

  /** Verdict on the newest `count` samples. */
  verdict(o, iterations, count = this.n) {
    const from = this.n - count
    const xs = Array.from(this.x.subarray(from, this.n))
    const ys = xs.map((_, i) => this.heap[from + i] + this.ext[from + i])
    // The rules (round floor included) live in src/growth/mod.rs.
    return trend(xs, ys, { confidence: o.confidence, budget: o.budgetBytesPerIteration, iterations })
  }

  samples() {
    return Array.from({ length: this.n }, (_, i) => ({
      iterations: this.x[i],
      bytes: this.heap[i] + this.ext[i],
      heapUsed: this.heap[i],
      external: this.ext[i],
    }))
  }
}

// Sample cycles run and discarded before the first real sample: the
// measurement's own code allocates feedback vectors and gets compiled during
// its first cycles, steps of several KiB that would read as growth. Dry cycles
// (no GC, so cheap) run the same code; the real ones settle the heap.
const DRY_CYCLES = 40
const MACHINERY_WARMUP = 2
const noGc = () => {}

async function measure(fn, o, deadline) {
  const { iterations, warmupCalls, perCallMs } = await warmUp(fn, o, deadline)
  const extra = Math.ceil(o.rounds / 2)
  const rec = new Recorder(MACHINERY_WARMUP + o.rounds + extra + 1)
  let cumulative = 0
  for (let r = 0; r < DRY_CYCLES; r++) {
    await rec.take(cumulative, noGc)
    rec.n = 0
  }
  for (let r = 0; r < MACHINERY_WARMUP; r++) {
    if (!(await runCalls(fn, iterations, deadline))) throw timeout(o, 'warm-up')
    await rec.take(cumulative)
  }
  rec.n = 0
  await rec.take(cumulative)
  let callMs = 0
  for (let r = 0; r < o.rounds; r++) {
    const t0 = performance.now()
    if (!(await runCalls(fn, iterations, deadline))) throw timeout(o, `round ${r + 1}`)
    callMs += performance.now() - t0
    cumulative += iterations
    await rec.take(cumulative)
  }
  let t = rec.verdict(o, iterations)
  if (t.leaking) {
    // Plateau check: a cache that fills during the first rounds and then stops
    // looks like growth over one window. Run half a window more and require the
    // newest full window to grow too.
    for (let r = 0; r < extra; r++) {
      if (!(await runCalls(fn, iterations, deadline))) throw timeout(o, 'plateau check')
      cumulative += iterations
      await rec.take(cumulative)
    }
    t = afterPlateauCheck(t, rec.verdict(o, iterations, o.rounds + 1))
  }
  const samples = rec.samples()
  return {
    leaking: t.leaking,
    bytesPerIteration: t.slope,
    medianRoundBytesPerIteration: t.medianStep,
    confidence: t.confidence,
    iterations,
    rounds: samples.length - 1,
    totalIterations: cumulative,
    warmupIterations: warmupCalls + MACHINERY_WARMUP * iterations,
    growthBytes: samples[samples.length - 1].bytes - samples[0].bytes,
    budgetBytesPerIteration: t.budget,
    requiredConfidence: o.confidence,
    samples,
    suspects: [],
    // The rounds' figure is the better one: by then the code is warm.
    perCallMs: cumulative > 0 ? callMs / (o.rounds * iterations) : perCallMs,
  }
}

async function run(fn, opts, explainLeaks, budgetMs) {
  if (typeof fn !== 'function') throw invalidOption('fn', 'expected a function (sync or async)')
  const o = growthOptions(opts)
  const t0 = performance.now()
  const deadline = performance.now() + o.timeoutMs
  const restore = quietConsole()
  try {
    const result = await measure(fn, o, deadline)
    result.measureMs = performance.now() - t0
    // The budget counts from the start: a test runner's timeout covers the measurement too.
    // timeoutMs bounds the explanation too: what would not fit is skipped
    // and said, rather than failing the explanation half-way.
    const runnerLeft = budgetMs === undefined ? Infinity : budgetMs - (performance.now() - t0)
    const deadlineLeft = deadline - performance.now()
    const limit = runnerLeft <= deadlineLeft ? 'test timeout' : 'timeoutMs'
    if (result.leaking && explainLeaks) {
      Object.assign(result, await explain(fn, result, deadline, Math.min(runnerLeft, deadlineLeft), limit))
    }
    result.durationMs = performance.now() - t0
    return result
  } finally {
    restore()
  }
}

/**
 * Measures whether calling `fn` grows the heap. On a leak, `suspects` lists
 * the growing structures found by a three-snapshot analysis.
 */
function measureGrowth(fn, opts) {
  return run(fn, opts, true)
}

/** Rejects with ERR_LEAKWATCH_LEAK_DETECTED, naming the culprit, if `fn` leaks. */
async function assertNoLeak(fn, opts) {
  const result = await run(fn, opts, true)
  if (result.leaking) {
    throw new LeakwatchError('ERR_LEAKWATCH_LEAK_DETECTED', formatLeak(result), { result })
  }
  return result
}

module.exports = { measureGrowth, assertNoLeak, growthOptions, run, DEFAULTS }

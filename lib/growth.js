'use strict'

// measureGrowth / assertNoLeak: does calling a function grow the heap?
// Rounds of calls with forced full GCs between them; the post-GC heap is
// regressed on cumulative calls (Theil-Sen) and tested for an increasing trend
// (Mann-Kendall). A leak is reported only if the trend is significant, steeper
// than a per-call byte budget, present in most rounds, still there net of V8's
// compiled code and bytecode, and still there in a later window; the rules are
// src/growth/mod.rs'. On a leak, lib/growth-explain.js names the culprit.
const v8 = require('v8')
const { performance } = require('perf_hooks')
const { LeakwatchError, invalidOption, fromNative } = require('./errors')
const { typedValues, optionsObject } = require('./options')
const { judgeWindow, nextStep } = require('./growth-stats')
const { growthMaxExtensions, growthOptionSchema, growthOptions: growthOptionsNative } = require('./native')
const { settle, reading, runCalls, quietConsole } = require('./heap-probe')
const { formatLeak } = require('./growth-format')
const { explain } = require('./growth-explain')

// The options' defaults and ranges live in one place, the Rust schema
// (src/growth/options.rs): this only checks names (with the nearest one for a
// typo) and JS types, then lets the schema check values and fill in defaults.
const GROWTH = growthOptionSchema()
const TYPES = Object.fromEntries(GROWTH.numbers.map((s) => [s.name, 'number']))
/** The defaults the schema states (`iterations` and `warmup` are chosen by the measurement). */
const DEFAULTS = Object.fromEntries(GROWTH.numbers.filter((s) => s.default != null).map((s) => [s.name, s.default]))
// Without `iterations`, calls per round are chosen so that a round of calls
// takes about ROUND_MS, keeping the default assertion near 1-2 s.
const ROUND_MS = 100
const MAX_AUTO_ITERATIONS = 1000
// A calibration chunk must last this long for its per-call time to mean anything.
const CALIBRATION_MS = 20
// Chunks shorter than this are not timed: too close to timer resolution.
const MIN_TIMED_MS = 2
// Default warm-up (see warmUp): calls for at least WARMUP_MS (or up to
// 1000-call chunks) before the round size is chosen, then on while V8 is still compiling the code under test
// (its code and bytecode with metadata grow by more than COMPILING_BYTES per
// call over COMPILE_WINDOW rounds), for at most WARMUP_MAX_MS. V8 tiers functions up by
// call count: native fetch kept compiling, and its heap kept growing by
// ~100-250 bytes per call, up to its ~3000th call on Node 20 and 22.
const WARMUP_MS = 300
const WARMUP_MAX_MS = 2000
// ... and at most this many calls: tier-up goes by call count, and a fast
// leaking function must not pile up megabytes before the first round.
const WARMUP_MAX_CALLS = 5000
const COMPILING_BYTES = 64
const COMPILE_WINDOW = 4
// Kept free of the rounds that wait for V8 to stop compiling under a test
// runner's timeout: the explanation's sampling-profile phase (~1 s of calls)
// and its analysis, so that a leak still names its allocating function.
const EXPLAIN_RESERVE_MS = 1500

/**
 * Validates the options and fills in defaults. Throws
 * ERR_LEAKWATCH_INVALID_OPTION naming the option: unknown (with the nearest
 * known name), of the wrong type, or refused by the schema (which also refuses
 * `rounds` too few to ever reach `confidence`).
 */
function growthOptions(opts) {
  const given = typedValues(optionsObject(opts, Object.keys(TYPES)), TYPES)
  let o
  try {
    o = growthOptionsNative(given)
  } catch (err) {
    throw fromNative(err)
  }
  // Left out: chosen by the measurement (the binding may hand back null).
  return { ...o, iterations: o.iterations ?? undefined, warmup: o.warmup ?? undefined }
}

function timeout(o, phase) {
  if (o.runnerTimeoutMs !== undefined) {
    return new LeakwatchError('ERR_LEAKWATCH_TIMEOUT',
      `measuring growth did not finish within the test's timeout (${Math.max(0, Math.round(o.runnerTimeoutMs))} ms were left of it) during ${phase}; ` +
      'raise the timeout: jest.setTimeout(20000), testTimeout in the Jest config, or a timeout as the test\'s third argument; or lower iterations or rounds')
  }
  return new LeakwatchError('ERR_LEAKWATCH_TIMEOUT',
    `measuring growth took longer than timeoutMs (${o.timeoutMs} ms) during ${phase}; lower iterations or rounds, or raise timeoutMs`)
}

/** Code and bytecode with their metadata: grows while V8 compiles. */
function compiledBytes() {
  const c = v8.getHeapCodeStatistics()
  return c.code_and_metadata_size + c.bytecode_and_metadata_size
}

/**
 * Warm-up first, then calibration of calls per round (when `iterations` is
 * not given) on warm code. The first calls of real code are slow and allocate
 * once: compilation and feedback, and lazily built state such as undici's
 * dispatcher behind `fetch`, the DNS cache or zlib's tables. Sizing rounds
 * from those calls gave native `fetch` rounds of 1-3 calls, whose one-time
 * allocations then read as a leak of kilobytes per call.
 */
async function warmUp(fn, o, deadline) {
  const t0 = performance.now()
  let calls = 0
  const run = async (n) => {
    if (!(await runCalls(fn, n, deadline))) throw timeout(o, 'warm-up')
    calls += n
  }
  if (o.warmup) await run(o.warmup)
  // An explicit `warmup` replaces the time-based one.
  const warmMs = o.warmup === undefined ? WARMUP_MS : 0
  let perCallMs = NaN
  let iterations = o.iterations
  if (iterations === undefined) {
    // Doubling chunks until one that started after the warm-up time lasts
    // long enough to time (the first call of fetch alone can outlast the
    // warm-up time). The steady per-call time is the best of the chunks after
    // the warm-up: a stall of the machine only ever makes a chunk slower, and
    // rounds sized from a stalled chunk shrank fetch's to 4 calls.
    let best = Infinity
    for (let chunk = 1; ; chunk *= 2) {
      const t = performance.now()
      await run(chunk)
      const ms = performance.now() - t
      perCallMs = ms / chunk
      if (t - t0 >= warmMs && ms >= MIN_TIMED_MS) best = Math.min(best, perCallMs)
      if ((ms >= CALIBRATION_MS && t - t0 >= warmMs) || chunk >= MAX_AUTO_ITERATIONS) break
    }
    if (best < perCallMs) perCallMs = best
    iterations = Math.max(1, Math.min(MAX_AUTO_ITERATIONS, Math.floor(ROUND_MS / Math.max(perCallMs, 1e-6))))
  }
  if (o.warmup === undefined) {
    // At least two rounds' worth and WARMUP_MS (with fixed iterations too),
    // then on while compiling, within WARMUP_MAX_MS and half of timeoutMs.
    const maxMs = Math.min(WARMUP_MAX_MS, o.timeoutMs / 2)
    // Tier-ups come in bursts: judged over windows of COMPILE_WINDOW rounds.
    let mark = { code: compiledBytes(), calls }
    let compiling = true
    const more = () => calls < 2 * iterations || (calls < WARMUP_MAX_CALLS &&
      (performance.now() - t0 < warmMs || (compiling && performance.now() - t0 < maxMs)))
    while (more()) {
      const t = performance.now()
      const n = calls < 2 * iterations ? Math.min(iterations, 2 * iterations - calls) : iterations
      await run(n)
      if (Number.isNaN(perCallMs)) perCallMs = (performance.now() - t) / n
      if (calls - mark.calls >= COMPILE_WINDOW * iterations) {
        const code = compiledBytes()
        const grown = code - mark.code
        // Less code than before: a GC dropped old code meanwhile, which says
        // nothing about new compilations; keep warming (bounded by maxMs).
        compiling = grown < 0 || grown > COMPILING_BYTES * (calls - mark.calls)
        mark = { code, calls }
      }
    }
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
    this.code = new Float64Array(capacity)
  }

  async take(cumulative, gc) {
    await settle(gc)
    const r = reading()
    this.x[this.n] = cumulative
    this.heap[this.n] = r.heapUsed
    this.ext[this.n] = r.external
    // At the same moment: growth of V8's compiled code since the previous
    // sample is what the verdict sets apart. Not on dry cycles: the heap
    // walk costs 5-50 ms in a Jest worker, and their samples are dropped.
    this.code[this.n] = gc === noGc ? 0 : compiledBytes()
    this.n++
  }

  /** The newest `count` samples judged (src/growth/mod.rs: round floor, compiled code, ...). */
  judge(o, iterations, count = this.n) {
    const from = this.n - count
    const xs = Array.from(this.x.subarray(from, this.n))
    const ys = xs.map((_, i) => this.heap[from + i] + this.ext[from + i])
    const compiled = Array.from(this.code.subarray(from, this.n))
    return judgeWindow(xs, ys, compiled, { confidence: o.confidence, budget: o.budgetBytesPerIteration, iterations })
  }

  samples() {
    return Array.from({ length: this.n }, (_, i) => ({
      iterations: this.x[i],
      bytes: this.heap[i] + this.ext[i],
      heapUsed: this.heap[i],
      external: this.ext[i],
      compiled: this.code[i],
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

async function measure(fn, o, deadline, extendUntil) {
  const { iterations, warmupCalls, perCallMs } = await warmUp(fn, o, deadline)
  const extra = Math.ceil(o.rounds / 2)
  const maxExtensions = growthMaxExtensions()
  const rec = new Recorder(MACHINERY_WARMUP + o.rounds + extra * maxExtensions + 1)
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
  let rounds = 0
  const roundsStart = performance.now()
  const round = async (phase) => {
    const t0 = performance.now()
    if (!(await runCalls(fn, iterations, deadline))) throw timeout(o, phase)
    callMs += performance.now() - t0
    cumulative += iterations
    rounds++
    await rec.take(cumulative)
  }
  for (let r = 0; r < o.rounds; r++) await round(`round ${r + 1}`)
  // A first "leak" is checked on a later window (a cache that fills during
  // the first rounds and then stops looks like growth over one window);
  // growth that V8's compiling or one step accounts for waits for a later
  // window while time allows, and a leak right after it for one more. The
  // decisions are src/growth/mod.rs' (next_step).
  const first = rec.judge(o, iterations)
  let decided = first
  // Preallocated: an array growing during the added rounds would be growth.
  const judgements = new Array(maxExtensions + 1).fill('')
  judgements[0] = first.judgement
  let newest = null
  let extensions = 0
  let step
  for (;;) {
    const roundMs = (performance.now() - roundsStart) / rounds
    const timeLeft = performance.now() + extra * roundMs <= extendUntil
    // The window judged before the newest (the first, until one is added):
    // a leak right after growth set apart is checked once more (next_step).
    const previous = judgements[Math.max(0, extensions - 1)]
    step = nextStep(previous, newest && newest.judgement, extensions, timeLeft)
    if (step !== 'extend') break
    for (let r = 0; r < extra; r++) await round(extensions === 0 ? 'plateau check' : 'wait for V8 to stop compiling')
    extensions++
    newest = rec.judge(o, iterations, o.rounds + 1)
    judgements[extensions] = newest.judgement
    decided = newest
  }
  const t = decided.raw
  const samples = rec.samples()
  return {
    leaking: step === 'leak',
    bytesPerIteration: t.slope,
    medianRoundBytesPerIteration: t.medianStep,
    confidence: t.confidence,
    // Net of V8's compiled code and bytecode, and their own growth, in the deciding window.
    netBytesPerIteration: decided.net.slope,
    compiledBytesPerIteration: decided.compiledSlope,
    judgement: decided.judgement,
    // Every window judged: the first, then one per half-window added.
    judgements: judgements.slice(0, extensions + 1),
    extensions,
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
    perCallMs: cumulative > 0 ? callMs / cumulative : perCallMs,
  }
}

async function run(fn, opts, explainLeaks, budgetMs) {
  if (typeof fn !== 'function') throw invalidOption('fn', 'expected a function (sync or async)')
  const o = growthOptions(opts)
  const t0 = performance.now()
  // Under a test runner the measurement ends by the test's timeout too: a
  // coded error that says which timeout to raise, rather than the runner's
  // own timeout failure with nothing of leakwatch's in it.
  if (budgetMs !== undefined && budgetMs < o.timeoutMs) o.runnerTimeoutMs = budgetMs
  const deadline = t0 + Math.min(o.timeoutMs, budgetMs ?? Infinity)
  const restore = quietConsole()
  try {
    // Waiting out V8's compiling stops where the explanation would no longer
    // fit: half of timeoutMs, and the test runner's timeout less the
    // explanation's first phase.
    const runner = budgetMs === undefined ? Infinity : budgetMs - EXPLAIN_RESERVE_MS
    const extendUntil = t0 + Math.min(o.timeoutMs / 2, runner)
    const result = await measure(fn, o, deadline, extendUntil)
    result.measureMs = performance.now() - t0
    // The budget counts from the start: a test runner's timeout covers the measurement too.
    // timeoutMs bounds the explanation too: what would not fit is skipped
    // and said, rather than failing the explanation half-way.
    // The deadline is the nearer of the two, so the time left is the
    // deadline's; which one it is decides what the advice says to raise.
    const limit = o.runnerTimeoutMs !== undefined ? 'test timeout' : 'timeoutMs'
    if (result.leaking && explainLeaks) {
      Object.assign(result, await explain(fn, result, deadline, deadline - performance.now(), limit))
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

module.exports = { measureGrowth, assertNoLeak, growthOptions, run, DEFAULTS, GROWTH_SCHEMA: GROWTH, GROWTH_TYPES: TYPES }

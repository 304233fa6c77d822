'use strict'

// The explanation of a leak found by measureGrowth / toLeak: which function
// allocates it (V8's sampling heap profiler) and, when time allows, which
// structure holds it (three in-process snapshots and the native analyzer).
const fs = require('fs')
const os = require('os')
const path = require('path')
const { performance } = require('perf_hooks')
const { settle, reading, runCalls } = require('./heap-probe')

// On a leak, each phase runs enough calls to grow the heap by about this
// much, so the analyzer sees the growth above its noise, bounded in time.
const EXPLAIN_GROWTH = 1 << 20
const EXPLAIN_MS = 1000
// The sampling heap profiler's interval during the explanation: ~1 MiB of
// growth gives ~64 samples, enough to rank the allocating stacks.
const EXPLAIN_SAMPLING_BYTES = 16 * 1024
// Below this much time left, not even the profile phase is attempted.
const PROFILE_PHASE_MS = 400

// V8's sampling heap profiler names only the outermost function of an
// optimized frame: once the measurement's caller has inlined `fn` (it is hot
// by then), the samples would name the caller, leakwatch's own runCalls. For
// the explanation the calls go through a fresh wrapper (a new call target, so
// the caller's optimized code is dropped) while optimizing compilers do not
// inline; the flags are set back unless the user set them.
const INLINING_FLAGS = ['turbo-inlining', 'maglev-inlining']

function withoutInlining() {
  const v8 = require('v8')
  const userSet = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS || ''}`
  const flags = INLINING_FLAGS.filter((f) => !userSet.includes(f))
  for (const f of flags) v8.setFlagsFromString(`--no-${f}`)
  return () => { for (const f of flags) v8.setFlagsFromString(`--${f}`) }
}

// `fn` itself was optimized during the measurement, with its callees inlined
// (the arrow of `expect(() => handler(req))` holding handler's code): its
// optimized code is dropped so it is compiled again without inlining. V8 has
// no public API for that; its runtime function is reached by compiling one
// line with natives syntax allowed for that moment only.
let deoptimize = null
function deoptimizer() {
  if (deoptimize) return deoptimize
  const v8 = require('v8')
  deoptimize = () => {}
  try {
    v8.setFlagsFromString('--allow-natives-syntax')
    // eslint-disable-next-line no-new-func
    deoptimize = new Function('f', '%DeoptimizeFunction(f)')
  } catch { /* a V8 without it: the inlined frames stay merged */ } finally {
    v8.setFlagsFromString('--no-allow-natives-syntax')
  }
  return deoptimize
}

async function callsNotInlined(fn, n, deadline) {
  const restore = withoutInlining()
  try {
    try { deoptimizer()(fn) } catch { /* not a plain JS function (bound, proxy) */ }
    const call = function leakwatchExplainCall() { return fn() }
    return await runCalls(call, n, deadline)
  } finally {
    restore()
  }
}

function startProfiler() {
  try {
    const { SamplingProfiler } = require('./sampling-profiler')
    return new SamplingProfiler({ samplingIntervalBytes: EXPLAIN_SAMPLING_BYTES }).start()
  } catch (err) {
    // DevTools samples this isolate, or no inspector: the holder is still
    // named, the allocating function is not. A running watchdog's profiler is
    // joined instead, at its interval (512 KiB by default: fewer samples).
    return { error: String((err && err.message) || err) }
  }
}

/** Calls per explanation phase: enough growth for the analyzer, bounded in time. */
function explainCalls(result) {
  const slope = Math.max(result.bytesPerIteration, 1)
  const byTime = Number.isFinite(result.perCallMs) && result.perCallMs > 0
    ? Math.floor(EXPLAIN_MS / result.perCallMs) : Infinity
  return Math.max(result.iterations, Math.min(Math.ceil(EXPLAIN_GROWTH / slope), byTime))
}

/**
 * Names the culprit of a leak, within `budgetMs` when given (a test runner's
 * timeout): first a phase of calls under V8's sampling heap profiler names
 * the allocating function (cheap); then, if the time measured so far says
 * they fit, three in-process snapshots around two more phases name the
 * growing structure and its holder (objects created between 1 and 2 still
 * alive in 3), joined to the profile. A snapshot stops the process for 0.5-2 s
 * on a small heap, so the snapshots are what a budget cuts.
 */
async function explain(fn, result, deadline, budgetMs = Infinity, limit = 'test timeout') {
  const { analyze, allocationSites } = require('./analyze')
  const started = performance.now()
  const calls = explainCalls(result)
  const out = { suspects: [], allocationSites: [], explainCalls: calls }
  // Even the profile would end past a test runner's timeout, which would
  // then hide the verdict: report the leak unexplained, and say why.
  if (budgetMs < PROFILE_PHASE_MS) {
    out.explainSkipped = { budgetMs: Math.round(budgetMs), snapshotMs: 0, estimated: true, neededMs: Math.round(result.measureMs + 3000), limit }
    return out
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-assert-'))
  const profiler = startProfiler()
  try {
    if (profiler.error) out.allocationError = profiler.error
    // Under a budget the profile comes first, on its own: if the snapshots
    // do not fit, the allocating function is still named. Without one the
    // profile simply runs through the snapshot phases.
    const budgeted = Number.isFinite(budgetMs)
    const t0 = performance.now()
    if (budgeted && !(await callsNotInlined(fn, calls, deadline))) throw new Error('timeoutMs reached')
    const callMs = budgeted ? performance.now() - t0 : 0
    if (budgeted && profiler.save) {
      const saved = await profiler.save(path.join(dir, 'assert-0.heapprofile'))
      // Test code is usually transformed in memory (babel-jest, ts-jest): its
      // maps are found through the inspector.
      out.allocationSites = await allocationSites([saved.path], { inspectorSourceMaps: true })
    }
    const full = await snapshots(fn, { calls, callMs, deadline, dir, started, budgetMs })
    if (full.skipped) {
      out.explainSkipped = { ...full.skipped, limit }
      return out
    }
    let profiles = false
    if (profiler.save) profiles = [(await profiler.save(path.join(dir, 'assert.heapprofile'))).path]
    const expected = Math.max(result.bytesPerIteration, 1) * calls
    const report = await analyze(full.files, {
      minRetainedDelta: Math.max(4096, Math.min(256 * 1024, Math.floor(expected / 8))),
      maxSuspects: 5,
      profiles,
    }, { inspectorSourceMaps: true })
    out.suspects = report.suspects
    if (profiles) out.allocationSites = report.summary.allocationSites || []
    out.report = report.toString()
    return out
  } catch (err) {
    out.explainError = String((err && err.message) || err)
    return out
  } finally {
    if (profiler.stop) profiler.stop()
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 })
  }
}

// What a first snapshot is expected to cost before one was taken: V8 writes
// ~20-60 MB of heap per second here (less on a loaded machine), plus a fixed cost.
const SNAPSHOT_BYTES_PER_MS = 15 * 1024
const SNAPSHOT_FIXED_MS = 300

/** The three snapshots, or `{ skipped }` when they would not fit the budget. */
async function snapshots(fn, { calls, callMs, deadline, dir, started, budgetMs }) {
  const { snapshot } = require('./capture')
  const files = []
  if (Number.isFinite(budgetMs)) {
    const guessMs = SNAPSHOT_FIXED_MS + reading().heapUsed / SNAPSHOT_BYTES_PER_MS
    const elapsed = performance.now() - started
    if (elapsed + 3 * guessMs + 2 * callMs > budgetMs) {
      return { skipped: { budgetMs: Math.round(budgetMs), snapshotMs: Math.round(guessMs), estimated: true, neededMs: Math.round(elapsed + 3.5 * guessMs + 2 * callMs) } }
    }
  }
  for (let phase = 0; phase < 3; phase++) {
    if (phase > 0 && !(await callsNotInlined(fn, calls, deadline))) throw new Error('timeoutMs reached')
    const t0 = performance.now()
    await settle()
    files.push((await snapshot({ dir, mode: 'inline', gzipLevel: 1, label: `assert-${phase + 1}` })).path)
    if (phase === 0 && Number.isFinite(budgetMs)) {
      const snapMs = performance.now() - t0
      // Two more snapshots and call phases, and an analysis that costs about
      // half a snapshot; the margin absorbs a loaded machine's jitter.
      const needMs = 1.25 * (2.5 * snapMs + 2 * callMs)
      const elapsed = performance.now() - started
      if (elapsed + needMs > budgetMs) {
        return { skipped: { budgetMs: Math.round(budgetMs), snapshotMs: Math.round(snapMs), neededMs: Math.round(elapsed + needMs) } }
      }
    }
  }
  return { files }
}

module.exports = { explain }

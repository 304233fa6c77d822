'use strict'

// Runs one corpus scenario with a watchdog and, side by side, memwatch's rule
// (a 'leak' when the heap used after a full GC grew 5 consecutive times).
// Prints one JSON line per event on stdout; the parent scores them.
//   node bench/watchdog-child.js <scenario> <json: {opts, durationMs, stopOnDetect}>

const { PerformanceObserver, constants, performance } = require('perf_hooks')
const v8 = require('v8')
const { watch } = require('../lib/watchdog')
const { leaks, clean, background, TICK_MS } = require('./watchdog-scenarios')

const name = process.argv[2]
const cfg = JSON.parse(process.argv[3] || '{}')
const isLeak = Object.prototype.hasOwnProperty.call(leaks, name)
const fn = isLeak ? leaks[name] : clean[name]
if (!fn) {
  console.error(`unknown scenario ${name}`)
  process.exit(2)
}

const t0 = performance.now()
const out = (o) => process.stdout.write(JSON.stringify({ t: Math.round(performance.now() - t0), ...o }) + '\n')
let leakAt = null
let memwatchAt = null

const w = watch(cfg.opts)
if (cfg.trace) {
  // Every post-GC reading the detector gets, so that a run can be replayed
  // into GrowthDetector in a Rust test (src/watch/detector_tests.rs).
  const addSample = w._native.addSample.bind(w._native)
  out({ type: 'start', startedAtMs: w._startedAt - t0 })
  w._native.addSample = (atMs, live, external, heapTotal) => {
    out({ type: 'sample', atMs: atMs - t0, live, external })
    return addSample(atMs, live, external, heapTotal)
  }
  // And every value of external seen between major GCs (GC batches, ticks):
  // the floor the external series takes is the lowest of them (src/watch/track.rs).
  const observe = w._native.observe.bind(w._native)
  w._native.observe = (external) => {
    out({ type: 'observe', atMs: performance.now() - t0, external })
    return observe(external)
  }
  const evaluate = w._native.evaluate.bind(w._native)
  w._native.evaluate = (now, heap) => {
    out({ type: 'observe', atMs: now - t0, external: heap.externalBytes })
    return evaluate(now, heap)
  }
}
w.on('leak', (e) => {
  if (leakAt === null) leakAt = performance.now() - t0
  out({ type: 'leak', kind: e.kind, urgent: e.urgent, growthBytesPerMin: e.growthBytesPerMin, confidence: e.confidence, msToOom: e.msToOom, reason: e.reason })
})
w.on('recovered', (e) => out({ type: 'recovered', reason: e.reason }))
w.on('error', (e) => out({ type: 'error', message: e.message }))

// memwatch: compares heap used after each full GC with the previous one.
let last = null
let growth = 0
let majors = 0
new PerformanceObserver((list) => {
  if (!list.getEntries().some((e) => e.detail && e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) return
  majors++
  const used = v8.getHeapStatistics().used_heap_size
  growth = last !== null && used > last ? growth + 1 : 0
  last = used
  if (growth >= 5) {
    growth = 0
    if (memwatchAt === null) memwatchAt = performance.now() - t0
    out({ type: 'memwatch' })
  }
}).observe({ entryTypes: ['gc'] })

const state = { reqPerTick: 15, baseReq: 15 }
const timer = setInterval(() => {
  const t = performance.now() - t0
  const reqs = background(state)
  fn(state, reqs.length ? reqs : background({ reqPerTick: 1 }), t)
  const both = leakAt !== null && memwatchAt !== null
  if (t >= cfg.durationMs || (cfg.stopOnDetect && both && t > Math.max(leakAt, memwatchAt) + 1000)) finish()
}, TICK_MS)

function finish() {
  clearInterval(timer)
  const s = w.stats()
  out({
    type: 'done',
    majors,
    samplerCpuMs: s.overhead.samplerCpuMs,
    mainThreadMs: s.overhead.mainThreadMs,
    liveHeapBytes: s.liveHeapBytes,
    state: s.assessment && s.assessment.state,
    reason: s.assessment && s.assessment.reason,
  })
  w.stop()
  process.exit(0)
}

if (name === 'idle') {
  // Truly idle: no request timer at all; only the end-of-run timer.
  clearInterval(timer)
  setTimeout(finish, cfg.durationMs)
}

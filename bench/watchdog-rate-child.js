'use strict'

// One "service" leaking at a set rate, watch() at DEFAULT options, and
// memwatch's rule side by side (a 'leak' after 5 consecutive rises of the
// heap used after a full GC). Prints one JSON line per event; the parent
// scores them (bench/watchdog-in-time.js).
//   node bench/watchdog-rate-child.js <heap|external|clean-buffers|clean> <MB/min> <durationMs> [until-death]

const { PerformanceObserver, constants, performance } = require('perf_hooks')
const v8 = require('v8')
const { watch } = require('../lib/watchdog')
const { background, TICK_MS } = require('./watchdog-scenarios')

const [kind, rateArg, durArg, untilArg] = process.argv.slice(2)
// The OOM cases run on to their death: how long before it was 'leak' emitted?
const untilDeath = untilArg === 'until-death'
const mbPerMin = Number(rateArg) || 0
const durationMs = Number(durArg) || 180_000
const t0 = performance.now()
const out = (o) => process.stdout.write(JSON.stringify({ t: Math.round(performance.now() - t0), ...o }) + '\n')

const w = watch()
let ours = null
let theirs = null
w.on('leak', (e) => {
  if (ours === null) ours = performance.now() - t0
  out({ type: 'leak', kind: e.kind, urgent: e.urgent, msToOom: e.msToOom, growthBytesPerMin: e.growthBytesPerMin, reason: e.reason })
})
w.on('error', (e) => out({ type: 'error', message: e.message }))

let last = null
let rises = 0
new PerformanceObserver((list) => {
  if (!list.getEntries().some((e) => e.detail && e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) return
  const used = v8.getHeapStatistics().used_heap_size
  rises = last !== null && used > last ? rises + 1 : 0
  last = used
  if (rises >= 5) {
    rises = 0
    if (theirs === null) theirs = performance.now() - t0
    out({ type: 'memwatch' })
  }
}).observe({ entryTypes: ['gc'] })

// 1 KiB per chunk: a packed array of 125 small integers (8 bytes each).
const CHUNK = 1024
const perTick = (mbPerMin * 1e6) / CHUNK / (60_000 / TICK_MS)
const kept = []
const transient = []
let owed = 0
const state = { reqPerTick: 15 }
const timer = setInterval(() => {
  background(state)
  owed += perTick
  const n = Math.floor(owed)
  owed -= n
  if (kind === 'heap') for (let i = 0; i < n; i++) kept.push(new Array(125).fill(i))
  else if (kind === 'external') {
    if (n > 0) kept.push(Buffer.alloc(n * CHUNK, n & 0xff))
  } else if (kind === 'clean-buffers') {
    // 1 MiB Buffers, each alive for about 2 s: ~30 MB/s through external.
    transient.push(Buffer.alloc(1024 * 1024, 1))
    if (transient.length > Math.round(2000 / TICK_MS)) transient.shift()
  }
  const t = performance.now() - t0
  const both = ours !== null && theirs !== null && t > Math.max(ours, theirs) + 1000
  if (t >= durationMs || (both && !untilDeath)) finish()
}, TICK_MS)

function finish() {
  clearInterval(timer)
  const s = w.stats()
  out({ type: 'done', gc: s.gc, overhead: s.overhead, state: s.assessment && s.assessment.state, outside: s.outside })
  w.stop()
  process.exit(0)
}
out({ type: 'start' })

'use strict'

// A CPU-bound, allocating "service" for the overhead measurement: it keeps
// the event loop busy with JSON work in setImmediate chunks (so timers still
// run) for a fixed time, with or without a watchdog at default settings.
//   node bench/watchdog-busy.js <with|without> <durationMs>

const { watch } = require('../lib/watchdog')

const mode = process.argv[2]
const durationMs = Number(process.argv[3] || 8000)
const w = mode === 'with' ? watch() : null
const cpu0 = process.cpuUsage()
const t0 = Date.now()
const keep = new Map()
let ops = 0

function chunk() {
  for (let i = 0; i < 200; i++) {
    const o = { id: ops, name: 'item-' + ops, tags: ['a', 'b', ops % 7], nested: { x: ops, y: [ops, ops + 1] } }
    const s = JSON.stringify(o)
    const back = JSON.parse(s)
    keep.set(ops % 5000, back)
    ops++
  }
  if (Date.now() - t0 < durationMs) setImmediate(chunk)
  else done()
}

function done() {
  const cpu = process.cpuUsage(cpu0)
  const s = w ? w.stats() : null
  if (w) w.stop()
  process.stdout.write(
    JSON.stringify({
      mode,
      ops,
      wallMs: Date.now() - t0,
      cpuMs: (cpu.user + cpu.system) / 1000,
      watchdogMainMs: s ? s.overhead.mainThreadMs : 0,
      watchdogSamplerMs: s ? s.overhead.samplerCpuMs : 0,
      majors: s ? s.gc.major : null,
      minors: s ? s.gc.minor : null,
      incremental: s ? s.gc.incremental : null,
    }) + '\n',
  )
}

chunk()

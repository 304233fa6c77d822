'use strict'
// Overhead of V8's sampling heap profiler (lib/sampling-profiler.js) as the
// watchdog's evidence runs it. Two figures, each run in fresh processes with
// the profiler-off baseline in the same invocation:
//  1. CPU: a fixed allocation-heavy workload (request-like records, a bounded
//     cache, JSON) timed with process.cpuUsage(), profiler off vs on at
//     several sampling intervals; reps interleaved so machine noise hits all.
//  2. The cost of one save: getSamplingProfile makes V8 run a full GC first
//     (so the profile holds live objects only), timed at several live heaps.
// Writes bench/results/profiler.json. BENCH_REPS (default 7) sets repetitions.
const { execFileSync } = require('child_process')
const fs = require('fs')
const path = require('path')
const { median, ratio } = require('./stats')

const REPS = Number(process.env.BENCH_REPS || 7)
const INTERVALS = [null, 32 * 1024, 128 * 1024, 512 * 1024, 2048 * 1024]
const HEAPS_MB = [20, 100, 300]
const OUT = path.join(__dirname, 'results', 'profiler.json')
const PROFILER = path.join(__dirname, '..', 'lib', 'sampling-profiler.js')

const CPU_CHILD = `
const { SamplingProfiler } = require(${JSON.stringify(PROFILER)})
const interval = Number(process.argv[1])
const p = interval > 0 ? new SamplingProfiler({ samplingIntervalBytes: interval }).start() : null
const cache = new Map()
let bytes = 0
const t0 = process.cpuUsage()
const w0 = process.hrtime.bigint()
for (let i = 0; i < 400000; i++) {
  const rec = { id: i, path: '/api/orders/' + (i % 5000), headers: { accept: 'json', n: i }, items: [i, i + 1, i + 2] }
  cache.set(i % 20000, rec)
  bytes += JSON.stringify(rec).length
}
const cpu = process.cpuUsage(t0)
const wallMs = Number(process.hrtime.bigint() - w0) / 1e6
let samples = null
if (p) { samples = p.profileSync().samples.length; p.stop() }
process.stdout.write(JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, wallMs, samples, bytes }))
`

const SAVE_CHILD = `
const { SamplingProfiler } = require(${JSON.stringify(PROFILER)})
const os = require('os'); const path = require('path'); const fs = require('fs')
const p = new SamplingProfiler().start()
const mb = Number(process.argv[1])
const kept = (global.kept = [])
while (process.memoryUsage().heapUsed < mb * 1048576) {
  for (let i = 0; i < 10000; i++) kept.push({ id: i, s: 'v' + i, a: [i] })
}
const file = path.join(os.tmpdir(), 'lw-bench-profiler-' + process.pid + '.heapprofile')
const t0 = process.hrtime.bigint()
const r = p.saveSync(file)
const saveMs = Number(process.hrtime.bigint() - t0) / 1e6
fs.unlinkSync(file)
const g0 = process.hrtime.bigint()
global.gc()
const gcMs = Number(process.hrtime.bigint() - g0) / 1e6
p.stop()
process.stdout.write(JSON.stringify({ heapUsedMb: process.memoryUsage().heapUsed / 1048576, saveMs, gcMs, bytes: r.bytes }))
`

function child(script, arg, flags = []) {
  return JSON.parse(execFileSync(process.execPath, [...flags, '-e', script, String(arg)], { encoding: 'utf8', maxBuffer: 1 << 20 }))
}

function main() {
  const cpuRuns = []
  for (let rep = 0; rep < REPS; rep++) {
    for (const interval of INTERVALS) cpuRuns.push({ interval, ...child(CPU_CHILD, interval || 0) })
  }
  const baseCpu = median(cpuRuns.filter((r) => r.interval === null).map((r) => r.cpuMs))
  const cpu = INTERVALS.map((interval) => {
    const runs = cpuRuns.filter((r) => r.interval === interval)
    const cpuMs = median(runs.map((r) => r.cpuMs))
    return {
      samplingIntervalBytes: interval,
      medianCpuMs: cpuMs,
      cpuRatio: ratio(cpuMs, baseCpu),
      overheadPct: interval === null ? 0 : (ratio(cpuMs, baseCpu) - 1) * 100,
      medianSamples: interval === null ? null : median(runs.map((r) => r.samples)),
    }
  })
  const saves = []
  for (const mb of HEAPS_MB) {
    const runs = []
    for (let rep = 0; rep < Math.max(3, Math.ceil(REPS / 2)); rep++) runs.push(child(SAVE_CHILD, mb, ['--expose-gc', '--max-old-space-size=1024']))
    saves.push({
      liveHeapMb: mb,
      medianSaveMs: median(runs.map((r) => r.saveMs)),
      medianFullGcMs: median(runs.map((r) => r.gcMs)),
      medianProfileBytes: median(runs.map((r) => r.bytes)),
    })
  }
  const result = { benchmark: 'profiler', date: new Date().toISOString(), node: process.version, reps: REPS, workload: '400,000 request records, 20,000-entry cache, JSON.stringify each', cpu, saves, runs: cpuRuns }
  fs.mkdirSync(path.dirname(OUT), { recursive: true })
  fs.writeFileSync(OUT, JSON.stringify(result, null, 2) + '\n')
  console.table(cpu.map((c) => ({ interval: c.samplingIntervalBytes ?? 'off', cpuMs: c.medianCpuMs.toFixed(0), overhead: c.overheadPct.toFixed(1) + '%', samples: c.medianSamples })))
  console.table(saves)
}

main()

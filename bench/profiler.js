'use strict'
// Overhead of V8's sampling heap profiler (lib/sampling-profiler.js) as the
// watchdog's evidence runs it. Two figures:
//  1. CPU and memory on an allocation-heavy loop (request-like records, a
//     bounded cache, JSON), in ONE process: a round is a fixed number of
//     iterations timed with process.cpuUsage() (every thread of the process,
//     GC helpers included); each cycle runs the profiler off and at each
//     interval once, in a shuffled order, and each round's CPU is divided by
//     the off round of its cycle (bench/profiler-stats.js): the median ratio
//     with a 95% bootstrap interval. Memory: the live samples V8 keeps (one
//     small record and a weak handle each) and the profile's size; RSS in a
//     process that toggles the profiler says nothing at this scale.
//  2. The cost of one save: getSamplingProfile makes V8 run a full GC first
//     (so the profile holds live objects only), timed at several live heaps.
// Writes bench/results/profiler.json.
//
//   node bench/profiler.js [--cycles 40] [--iterations 60000]
const { execFileSync } = require('child_process')
const fs = require('fs')
const path = require('path')
const { SamplingProfiler, DEFAULT_SAMPLING_INTERVAL_BYTES } = require('../lib/sampling-profiler')
const { interleave, summarize, median } = require('./profiler-stats')

const KiB = 1024
const INTERVALS = [32 * KiB, 128 * KiB, 512 * KiB, 2048 * KiB]
const HEAPS_MB = [20, 100, 300]
const OUT = path.join(__dirname, 'results', 'profiler.json')
const PROFILER = path.join(__dirname, '..', 'lib', 'sampling-profiler.js')

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}

const cache = new Map()
let seq = 0
/** One unit of work: `n` request-like records, a bounded cache, JSON. */
function work(n) {
  let bytes = 0
  for (let k = 0; k < n; k++) {
    const i = seq++
    const rec = { id: i, path: '/api/orders/' + (i % 5000), headers: { accept: 'json', n: i }, items: [i, i + 1, i + 2] }
    cache.set(i % 20000, rec)
    bytes += JSON.stringify(rec).length
  }
  return bytes
}

/** One round: the profiler at `config` (or off), `n` iterations. */
// Every round ends with a full GC, whatever its configuration: reading a
// profile makes V8 collect first, so without this the round after a profiled
// one started on a cleaner heap than the round after an off one (measured: a
// flat ~2% "overhead" at 512 KiB and 2048 KiB alike, 64 and 15 samples).
require('v8').setFlagsFromString('--expose-gc')
const fullGc = require('vm').runInNewContext('gc')

function round(config, n) {
  fullGc()
  const p = config === 'off' ? null : new SamplingProfiler({ samplingIntervalBytes: config }).start()
  try {
    const t0 = process.cpuUsage()
    work(n)
    const cpu = process.cpuUsage(t0)
    const profile = p ? p.profileSync() : { samples: [] }
    // V8 numbers the samples it takes: the highest live ordinal is about how
    // many it took this round (the profiler restarts each round).
    const taken = profile.samples.reduce((m, x) => Math.max(m, x.ordinal), 0)
    const profileBytes = p ? Buffer.byteLength(JSON.stringify(profile)) : 0
    return { cost: (cpu.user + cpu.system) / n, samples: profile.samples.length, taken, profileBytes, cpuUs: cpu.user + cpu.system }
  } finally {
    if (p) p.stop()
    fullGc()
  }
}

async function cpuAndMemory(cycles, n) {
  const configs = ['off', ...INTERVALS]
  for (let w = 0; w < 3; w++) for (const c of configs) round(c, n) // JIT and cache warm-up
  const rounds = await interleave(configs, cycles, (c) => round(c, n), { seed: 7 })
  return summarize(configs, rounds, {
    extra: (mine) => ({
      medianCpuUsPer1000: +(1000 * median(mine.map((r) => r.cost))).toFixed(1),
      medianProfileBytes: median(mine.map((r) => r.profileBytes)),
      medianLiveSamples: median(mine.map((r) => r.samples)),
      medianSamplesTaken: median(mine.map((r) => r.taken)),
      medianRoundCpuMs: +(median(mine.map((r) => r.cpuUs)) / 1000).toFixed(1),
    }),
  }).map((s) => ({ samplingIntervalBytes: s.config === 'off' ? null : s.config, default: s.config === DEFAULT_SAMPLING_INTERVAL_BYTES, ...s }))
}

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

async function main() {
  const cycles = arg('cycles', 40)
  const iterations = arg('iterations', 60000)
  const cpu = await cpuAndMemory(cycles, iterations)
  const saves = []
  for (const mb of HEAPS_MB) {
    const runs = []
    for (let rep = 0; rep < 3; rep++) runs.push(child(SAVE_CHILD, mb, ['--expose-gc', '--max-old-space-size=1024']))
    saves.push({
      liveHeapMb: mb,
      medianSaveMs: median(runs.map((r) => r.saveMs)),
      medianFullGcMs: median(runs.map((r) => r.gcMs)),
      medianProfileBytes: median(runs.map((r) => r.bytes)),
    })
  }
  const result = {
    benchmark: 'profiler',
    date: new Date().toISOString(),
    node: process.version,
    loadavg: require('os').loadavg(),
    cycles,
    iterations,
    workload: `${iterations} request records per round, 20,000-entry cache, JSON.stringify each; one process, profiler toggled per round`,
    method: 'per cycle every configuration once in a shuffled order; overheadPct is the median of CPU(config)/CPU(off) of the same cycle, overheadPct95 its 95% bootstrap interval',
    cpu: cpu.map(({ config, ...rest }) => rest),
    saves,
  }
  fs.mkdirSync(path.dirname(OUT), { recursive: true })
  const tmp = `${OUT}.${process.pid}.tmp`
  fs.writeFileSync(tmp, JSON.stringify(result, null, 2) + '\n')
  fs.renameSync(tmp, OUT)
  console.table(cpu.map((c) => ({ interval: c.samplingIntervalBytes ? `${c.samplingIntervalBytes / KiB} KiB` : 'off', 'us/1000 it': c.medianCpuUsPer1000, overhead: `${c.overheadPct}% [${c.overheadPct95.join(', ')}]`, profile: c.medianProfileBytes, samples: c.medianLiveSamples, taken: c.medianSamplesTaken })))
  console.table(saves)
}

main().catch((err) => { console.error(err); process.exit(1) })

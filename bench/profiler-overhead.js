'use strict'

// Overhead of V8's sampling heap profiler on a busy Express service
// (bench/fixtures/profiler-server.js), under bounded autocannon load on
// 127.0.0.1 at a fixed rate. One server process for the whole run; a round is a fixed number
// of requests; between rounds the benchmark turns the profiler off or on at an
// interval. Each cycle runs every configuration once in a shuffled order, and
// a round's server CPU time per request is divided by the off round of the
// same cycle (bench/profiler-stats.js): the median ratio with a 95% bootstrap
// interval. Beside it: requests/s and p99 latency (medians; the load
// generator shares the machine), RSS and heap at the end of the round against
// the off rounds, live samples, profile size.
// On a shared machine the CPU ratio cannot resolve 1% here (rounds vary by
// ±25%), so the run also measures what the profiler's cost follows: samples
// taken. It measures the bytes the service allocates per request
// (v8.GCProfiler), hence the samples V8 takes per request at each interval
// (one per interval's bytes, on average), and the CPU one sample costs on this
// service's stacks, from a 1 KiB calibration interval whose overhead (tens of
// percent) the noise cannot hide. Samples times that cost is the overhead at
// each interval (`overheadPctFromSamples`); the allocation loop showed the cost
// follows the samples (bench/results/profiler.json: 4x the samples, 4x the cost).
// Writes bench/results/profiler-overhead.json.
//
//   node bench/profiler-overhead.js [--cycles 16] [--requests 4000] [--connections 8] [--rate 500 (0: as fast as it goes)]
const { fork } = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')
const autocannon = require('autocannon')
const { DEFAULT_SAMPLING_INTERVAL_BYTES } = require('../lib/sampling-profiler')
const { interleave, summarize, median } = require('./profiler-stats')

const SERVER = path.join(__dirname, 'fixtures', 'profiler-server.js')
const KiB = 1024
// 1 KiB only calibrates the cost of a sample (see above).
const CALIBRATION = 1 * KiB
const INTERVALS = [CALIBRATION, 32 * KiB, 128 * KiB, 512 * KiB, 2048 * KiB]

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}

function ask(child, msg, key) {
  return new Promise((resolve) => {
    const on = (m) => { if (m && m[key] !== undefined) { child.off('message', on); resolve(m) } }
    child.on('message', on)
    if (msg !== null) child.send(msg)
  })
}

function load(url, amount, connections, overallRate = 0) {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, amount, ...(overallRate > 0 ? { overallRate } : {}) }, (err, res) => (err ? reject(err) : resolve(res)))
  })
}

async function main() {
  const cycles = arg('cycles', 16)
  const requests = arg('requests', 4000)
  const connections = arg('connections', 8)
  // A fixed request rate below saturation: a saturated server batches more
  // requests per event-loop turn and its CPU per request falls (measured:
  // 240 vs 170 us per request in rounds of the same configuration), so at
  // full load the machine's other work moved the figure more than the profiler.
  const rate = arg('rate', 500)
  const child = fork(SERVER, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  try {
    const { port } = await ask(child, null, 'port')
    const url = `http://127.0.0.1:${port}/api/items/7`
    await load(url, 3 * requests, connections) // warm-up: JIT, caches
    const configs = ['off', ...INTERVALS]
    const measure = async (config) => {
      await ask(child, { set: config === 'off' ? 0 : config }, 'ready')
      await load(url, Math.min(500, requests), connections) // the profiler's own start-up stays out
      await ask(child, 'mark', 'marked')
      const t0 = process.hrtime.bigint()
      const res = await load(url, requests, connections, rate)
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9
      const s = await ask(child, 'stats', 'cpuUs')
      const done = res.requests.total
      return { done, cost: s.cpuUs / Math.max(1, done), requestsPerSec: done / seconds, p99Ms: res.latency.p99, errors: res.errors + res.non2xx, ...s }
    }
    const rounds = await interleave(configs, cycles, measure, {
      seed: 11,
      onRound: (r) => process.stderr.write(`cycle ${r.cycle + 1} ${r.config === 'off' ? 'off' : `${r.config / KiB} KiB`}: ${r.cost.toFixed(1)} us CPU/req, ${Math.round(r.requestsPerSec)} req/s\n`),
    })
    const off = rounds.filter((r) => r.config === 'off')
    const offOf = (k) => median(off.map((r) => r[k]))
    const perRequest = (r) => r.allocatedBytes / Math.max(1, r.done)
    const allocatedPerRequest = median(rounds.map(perRequest))
    const configsOut = summarize(configs, rounds, {
      extra: (mine) => ({
        medianCpuUsPerRequest: +median(mine.map((r) => r.cost)).toFixed(1),
        medianRequestsPerSec: Math.round(median(mine.map((r) => r.requestsPerSec))),
        medianP99Ms: median(mine.map((r) => r.p99Ms)),
        rssDeltaBytes: median(mine.map((r) => r.rssBytes)) - offOf('rssBytes'),
        heapUsedDeltaBytes: median(mine.map((r) => r.heapUsedBytes)) - offOf('heapUsedBytes'),
        medianLiveSamples: median(mine.map((r) => r.samples)),
        medianProfileBytes: median(mine.map((r) => r.profileBytes)),
        errors: mine.reduce((a, r) => a + r.errors, 0),
        medianAllocatedBytesPerRequest: Math.round(median(mine.map(perRequest))),
      }),
    }).map(({ config, ...s }) => ({ samplingIntervalBytes: config === 'off' ? null : config, default: config === DEFAULT_SAMPLING_INTERVAL_BYTES, ...s }))
    // The cost of one sample on this service, from the calibration interval;
    // each interval's overhead is its samples per request times that cost.
    const cal = configsOut.find((c) => c.samplingIntervalBytes === CALIBRATION)
    const samplesPerRequest = allocatedPerRequest / CALIBRATION
    const usPerSample = (pct) => +((pct / 100) * offOf('cost') / samplesPerRequest).toFixed(3)
    const perSampleCost = { us: usPerSample(cal.overheadPct), us95: cal.overheadPct95.map(usPerSample), calibrationIntervalBytes: CALIBRATION }
    for (const c of configsOut.filter((x) => x.samplingIntervalBytes)) {
      const scale = CALIBRATION / c.samplingIntervalBytes
      c.samplesTakenPerRequest = +(allocatedPerRequest / c.samplingIntervalBytes).toFixed(4)
      c.overheadPctFromSamples = +(cal.overheadPct * scale).toFixed(3)
      c.overheadPctFromSamples95 = cal.overheadPct95.map((p) => +(p * scale).toFixed(3))
    }
    const out = {
      node: process.version,
      date: new Date().toISOString(),
      cpus: os.cpus().length,
      loadavg: os.loadavg(),
      cycles,
      requestsPerRound: requests,
      connections,
      requestsPerSecondOffered: rate || 'unbounded',
      method: 'one server; per cycle every configuration once in a shuffled order; overheadPct is the median of (server CPU per request with the profiler at the interval) / (same, off) of the same cycle, overheadPct95 its 95% bootstrap interval',
      allocatedBytesPerRequest: Math.round(allocatedPerRequest),
      perSampleCost,
      configs: configsOut,
      rounds: rounds.map(({ cycle, config, cost, requestsPerSec, p99Ms }) => ({ cycle, config, cpuUsPerRequest: +cost.toFixed(2), requestsPerSec: Math.round(requestsPerSec), p99Ms })),
    }
    const file = path.join(__dirname, 'results', 'profiler-overhead.json')
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(`${file}.${process.pid}.tmp`, JSON.stringify(out, null, 2) + '\n')
    fs.renameSync(`${file}.${process.pid}.tmp`, file)
    for (const c of configsOut) {
      process.stdout.write(`${c.samplingIntervalBytes ? `${c.samplingIntervalBytes / KiB} KiB` : 'off'}: ${c.medianCpuUsPerRequest} us CPU/req, overhead ${c.overheadPct}% [95%: ${c.overheadPct95.join(', ')}], ${c.medianRequestsPerSec} req/s, p99 ${c.medianP99Ms} ms, ${c.medianLiveSamples} samples, profile ${Math.round(c.medianProfileBytes / KiB)} KiB` +
        (c.samplesTakenPerRequest != null ? `; from samples: ${c.samplesTakenPerRequest} a request, ${c.overheadPctFromSamples}% [${c.overheadPctFromSamples95.join(', ')}]` : '') + '\n')
    }
    process.stdout.write(`wrote ${file}\n`)
  } finally {
    child.kill()
  }
}

main().catch((err) => { console.error(err); process.exit(1) })

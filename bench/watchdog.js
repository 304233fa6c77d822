'use strict'

// The watchdog benchmark: runs the corpus (bench/watchdog-scenarios.js), each
// scenario in its own `node` child with compressed time, two at a time, and
// scores leakwatch's detector and memwatch's 5-consecutive-GCs rule side by
// side; then measures the watchdog's CPU share on a busy process at default
// settings. Writes bench/results/watchdog.json and prints a table.
//   npm run bench:watchdog [-- --repeat N] [--only name,name] [--quick] [--trace DIR] [--in-time]
//     [--opts JSON] [--load N] [--tag T]
// Then the in-time section (bench/watchdog-in-time.js): real time, defaults.
// --in-time runs that section alone and replaces it in the existing results;
// --overhead likewise for the CPU share at defaults.
// --trace DIR records every post-GC reading of every run (leaks then run their
// full 120 s) into DIR/<scenario>-<run>.json, to be replayed into the
// detector by the Rust tests (src/watch/testdata/corpus); nothing is scored.

const { spawn } = require('child_process')
const fs = require('fs')
const path = require('path')
const { leaks, clean, EXTERNAL } = require('./watchdog-scenarios')
const { inTime } = require('./watchdog-in-time')

const MiB = 1024 * 1024
const args = process.argv.slice(2)
const quick = args.includes('--quick')
const onlyArg = args.indexOf('--only')
const only = onlyArg >= 0 ? new Set(args[onlyArg + 1].split(',')) : null
const repeatArg = args.indexOf('--repeat')
const REPEAT = repeatArg >= 0 ? Math.max(1, Number(args[repeatArg + 1]) || 1) : 1
const traceArg = args.indexOf('--trace')
const TRACE_DIR = traceArg >= 0 ? path.resolve(args[traceArg + 1]) : null
const IN_TIME_ONLY = args.includes('--in-time')
// --opts JSON overrides the compressed options (e.g. the tests' own); --load N
// runs N CPU hogs beside the corpus; --tag T names traces <scenario>-T<run>.
const optsArg = args.indexOf('--opts')
const loadArg = args.indexOf('--load')
const LOAD = loadArg >= 0 ? Math.max(0, Number(args[loadArg + 1]) || 0) : 0
const tagArg = args.indexOf('--tag')
const TAG = tagArg >= 0 ? args[tagArg + 1] : ''
const RESULTS = path.join(__dirname, 'results', 'watchdog.json')

// Compressed time: a 30 s window stands for the 10 min default. The growth
// floor keeps the same growth-per-window-to-noise ratio (6 MiB/min x 30 s =
// 3 MiB per window; default 1 MiB/min x 10 min = 10 MiB per window).
const OPTS = {
  intervalMs: 500,
  windowMs: 30_000,
  warmupMs: 8_000,
  minGrowthBytesPerMin: 6 * MiB,
  confidence: 0.95,
  ...(optsArg >= 0 ? JSON.parse(args[optsArg + 1]) : {}),
}
// Compressed GC cadence to match: a 1 MB semi-space promotes requests that
// stay in flight for a second, as a 16 MB one does under production traffic,
// so major GCs come every few seconds instead of every few minutes.
const NODE_FLAGS = ['--max-semi-space-size=1']
const LEAK_MAX_MS = 120_000
const CLEAN_MS = quick ? 45_000 : 90_000
const CONCURRENCY = 2

function runChild(script, argv, timeoutMs, flags = NODE_FLAGS) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...flags, path.join(__dirname, script), ...argv], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    const kill = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('close', (code) => {
      clearTimeout(kill)
      const lines = out.split('\n').filter(Boolean).map((l) => {
        try {
          return JSON.parse(l)
        } catch {
          return { type: 'garbage', line: l }
        }
      })
      resolve({ code, lines, stderr: err })
    })
  })
}

async function runScenario(name, kind, run) {
  const cfg = {
    opts: OPTS,
    durationMs: kind === 'leak' ? LEAK_MAX_MS : CLEAN_MS,
    stopOnDetect: kind === 'leak' && !TRACE_DIR,
    trace: Boolean(TRACE_DIR),
  }
  const started = Date.now()
  const { code, lines, stderr } = await runChild('watchdog-child.js', [name, JSON.stringify(cfg)], cfg.durationMs + 30_000)
  const of = (type) => lines.filter((l) => l.type === type)
  const done = of('done')[0] || {}
  const ours = of('leak')
  const mw = of('memwatch')
  const r = {
    name,
    kind,
    exitCode: code,
    runMs: Date.now() - started,
    majorGcs: done.majors,
    leakwatch: {
      detected: ours.length > 0,
      detectMs: ours.length ? ours[0].t : null,
      leakEvents: ours.length,
      recoveredEvents: of('recovered').length,
      falseAlarms: kind === 'clean' ? ours.length : 0,
      firstReason: ours.length ? ours[0].reason : done.reason,
      firstKind: ours.length ? ours[0].kind : null,
      growthBytesPerMin: ours.length ? ours[0].growthBytesPerMin : null,
    },
    memwatch: {
      detected: mw.length > 0,
      detectMs: mw.length ? mw[0].t : null,
      leakEvents: mw.length,
      falseAlarms: kind === 'clean' ? mw.length : 0,
    },
  }
  if (code !== 0) r.stderr = stderr.slice(-2000)
  if (TRACE_DIR && code === 0) writeTrace(name, kind, run, lines)
  return r
}

function writeTrace(name, kind, run, lines) {
  const start = lines.find((l) => l.type === 'start')
  const trace = {
    scenario: name,
    kind,
    options: OPTS,
    nodeFlags: NODE_FLAGS,
    node: process.version,
    // CPU hogs running beside the run (--load).
    load: LOAD,
    startedAtMs: start ? start.startedAtMs : 0,
    durationMs: (lines.find((l) => l.type === 'done') || {}).t,
    // Which reading the scenario is judged on: index 1 (heap) or 2 (external).
    series: EXTERNAL.has(name) ? 'external' : 'heap',
    // [ms since start, live heap bytes, external bytes after the major GC]
    samples: lines.filter((l) => l.type === 'sample').map((l) => [Math.round(l.atMs), l.live, l.external]),
    // [ms since start, external bytes] seen between major GCs (GC batches,
    // ticks): the external series' floor is the lowest since the last sample.
    observed: lines.filter((l) => l.type === 'observe').map((l) => [Math.round(l.atMs), l.external]),
  }
  fs.mkdirSync(TRACE_DIR, { recursive: true })
  fs.writeFileSync(path.join(TRACE_DIR, `${name}-${TAG}${run}.json`), JSON.stringify(trace) + '\n')
}

/** --load N: CPU hogs for as long as the corpus runs; returns a stopper. */
function startLoad() {
  const hogs = Array.from({ length: LOAD }, () =>
    spawn(process.execPath, [path.join(__dirname, 'watchdog-hog.js'), String(24 * 3600 * 1000)], { stdio: 'ignore' }),
  )
  return () => hogs.forEach((h) => h.kill('SIGKILL'))
}

async function corpus() {
  const one = [
    ...Object.keys(leaks).map((n) => [n, 'leak']),
    ...Object.keys(clean).map((n) => [n, 'clean']),
  ].filter(([n]) => !only || only.has(n))
  const jobs = []
  for (let i = 0; i < REPEAT; i++) jobs.push(...one.map(([n, k]) => [n, k, i + 1]))
  const results = []
  let next = 0
  async function worker() {
    while (next < jobs.length) {
      const [n, k, run] = jobs[next++]
      const r = await runScenario(n, k, run)
      r.run = run
      const kind = r.leakwatch.firstKind ? ` (${r.leakwatch.firstKind})` : ''
      process.stderr.write(`  ${k.padEnd(5)} ${n.padEnd(18)} leakwatch ${fmtDet(r.leakwatch)}${kind}  memwatch ${fmtDet(r.memwatch)}\n`)
      results.push(r)
    }
  }
  const stopLoad = startLoad()
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  } finally {
    stopLoad()
  }
  const order = jobs.map(([n]) => n)
  return results.sort((a, b) => a.run - b.run || order.indexOf(a.name) - order.indexOf(b.name))
}

// Default Node flags: a real process, not compressed time. The GC-heavy
// variant (1 MB semi-space: ~10x the GCs) bounds the observer's share.
async function overhead(flags, pairs) {
  // Alternating runs, alone on the machine's cores, so drift hits both modes.
  const runs = []
  for (let i = 0; i < pairs; i++) {
    for (const mode of ['without', 'with']) {
      const { lines } = await runChild('watchdog-busy.js', [mode, '8000'], 30_000, flags)
      if (lines[0]) runs.push(lines[0])
    }
  }
  const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  const gcCost = { obs: [], none: [] }
  for (let i = 0; i < 3; i++) {
    for (const mode of ['none', 'obs']) {
      const { lines } = await runChild('watchdog-gccost.js', [mode], 60_000, ['--expose-gc'])
      if (lines[0]) gcCost[mode].push(lines[0].usPerGc)
    }
  }
  const observerUsPerGc = Math.max(0, median(gcCost.obs) - median(gcCost.none))
  const w = runs.filter((r) => r.mode === 'with')
  const wo = runs.filter((r) => r.mode === 'without')
  const share = w.map((r) => (r.watchdogMainMs + r.watchdogSamplerMs) / r.cpuMs)
  const gcs = (r) => r.minors + r.majors + (r.incremental || 0)
  const observerShare = w.map((r) => (gcs(r) * observerUsPerGc) / 1000 / r.cpuMs)
  const total = w.map((r, i) => share[i] + observerShare[i])
  const opsPerCpuMs = (rs) => median(rs.map((r) => r.ops / r.cpuMs))
  return {
    settings: 'defaults (intervalMs 5000, windowMs 180000)',
    nodeFlags: flags,
    runs,
    // Time in the watchdog's own callbacks and its thread.
    selfCpuSharePct: 100 * median(share),
    // Plus what Node spends producing GC entries for the observer.
    observerUsPerGc,
    gcPerSec: median(w.map((r) => gcs(r) / (r.wallMs / 1000))),
    observerCpuSharePct: 100 * median(observerShare),
    totalCpuSharePct: 100 * median(total),
    // A/B throughput per CPU-ms: also counts what the GC observer costs inside
    // Node itself, but on a shared 2-core machine it carries a few % of noise.
    abThroughputDeltaPct: 100 * (1 - opsPerCpuMs(w) / opsPerCpuMs(wo)),
  }
}

function fmtDet(d) {
  if (!d.detected) return 'no'.padEnd(9)
  return `${(d.detectMs / 1000).toFixed(1)}s`.padEnd(9)
}

function table(results) {
  const rows = [['run', 'scenario', 'kind', 'leakwatch', 'detect', 'false', 'memwatch', 'detect', 'false', 'majors']]
  for (const r of results) {
    rows.push([
      String(r.run),
      r.name,
      r.kind,
      r.leakwatch.detected ? 'yes' : 'no',
      r.leakwatch.detectMs == null ? '-' : `${(r.leakwatch.detectMs / 1000).toFixed(1)}s`,
      String(r.leakwatch.falseAlarms),
      r.memwatch.detected ? 'yes' : 'no',
      r.memwatch.detectMs == null ? '-' : `${(r.memwatch.detectMs / 1000).toFixed(1)}s`,
      String(r.memwatch.falseAlarms),
      r.exitCode === 0 ? String(r.majorGcs ?? '-') : `crashed (${r.exitCode})`,
    ])
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  return rows.map((r) => '| ' + r.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |').join('\n')
}

function summarize(results) {
  const L = results.filter((r) => r.kind === 'leak')
  const C = results.filter((r) => r.kind === 'clean')
  const score = (k) => ({
    crashedScenarios: results.filter((r) => r.exitCode !== 0).map((r) => r.name),
    leaksDetected: `${L.filter((r) => r[k].detected).length}/${L.length}`,
    leaksDetectedWithin2Min: L.filter((r) => r[k].detected && r[k].detectMs <= 120_000).length,
    maxDetectMs: Math.max(0, ...L.filter((r) => r[k].detected).map((r) => r[k].detectMs)),
    cleanWithFalseAlarms: `${C.filter((r) => r[k].falseAlarms > 0).length}/${C.length}`,
    falseAlarmEvents: C.reduce((s, r) => s + r[k].falseAlarms, 0),
  })
  return { leakwatch: score('leakwatch'), memwatch: score('memwatch') }
}

function printInTime(section) {
  console.log('in time, at defaults:', JSON.stringify(section.summary, null, 2))
}

async function inTimeOnly() {
  const t0 = Date.now()
  process.stderr.write('in time: real processes at default options\n')
  const section = await inTime({ quick, concurrency: CONCURRENCY, log: (l) => process.stderr.write(l) })
  let report = {}
  try {
    report = JSON.parse(fs.readFileSync(RESULTS, 'utf8'))
  } catch {}
  report.inTime = { node: process.version, date: new Date().toISOString(), quick, ...section, totalMs: Date.now() - t0 }
  fs.mkdirSync(path.dirname(RESULTS), { recursive: true })
  fs.writeFileSync(RESULTS + '.tmp', JSON.stringify(report, null, 2) + '\n')
  fs.renameSync(RESULTS + '.tmp', RESULTS)
  printInTime(section)
}

/** --overhead: the CPU share at defaults alone, merged into the results. */
async function overheadOnly() {
  const report = JSON.parse(fs.readFileSync(RESULTS, 'utf8'))
  report.overhead = await overhead([], quick ? 2 : 4)
  report.overhead.date = new Date().toISOString()
  report.overheadGcHeavy = await overhead(['--max-semi-space-size=1'], 2)
  report.overheadGcHeavy.date = report.overhead.date
  fs.writeFileSync(RESULTS + '.tmp', JSON.stringify(report, null, 2) + '\n')
  fs.renameSync(RESULTS + '.tmp', RESULTS)
  for (const c of [report.overhead, report.overheadGcHeavy]) {
    console.log(`overhead at defaults (${c.gcPerSec.toFixed(0)} GCs/s): ${c.totalCpuSharePct.toFixed(2)}% = own ${c.selfCpuSharePct.toFixed(2)}% + GC observer ${c.observerCpuSharePct.toFixed(2)}%`)
  }
}

async function main() {
  if (IN_TIME_ONLY) return inTimeOnly()
  if (args.includes('--overhead')) return overheadOnly()
  const t0 = Date.now()
  process.stderr.write(`corpus: compressed time ${JSON.stringify(OPTS)}\n`)
  const results = await corpus()
  const summary = summarize(results)
  const scoreOnly = only || TRACE_DIR
  const cpu = scoreOnly ? null : await overhead([], quick ? 2 : 4)
  const cpuGcHeavy = scoreOnly ? null : await overhead(['--max-semi-space-size=1'], 2)
  const t1 = Date.now()
  const section = scoreOnly ? null : await inTime({ quick, concurrency: CONCURRENCY, log: (l) => process.stderr.write(l) })
  const report = {
    node: process.version,
    date: new Date().toISOString(),
    options: OPTS,
    nodeFlags: NODE_FLAGS,
    repeat: REPEAT,
    leakMaxMs: LEAK_MAX_MS,
    cleanMs: CLEAN_MS,
    summary,
    overhead: cpu,
    overheadGcHeavy: cpuGcHeavy,
    scenarios: results,
    inTime: section && { node: process.version, date: new Date().toISOString(), quick, ...section, totalMs: Date.now() - t1 },
    totalMs: Date.now() - t0,
  }
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true })
  if (!scoreOnly) {
    fs.writeFileSync(RESULTS + '.tmp', JSON.stringify(report, null, 2) + '\n')
    fs.renameSync(RESULTS + '.tmp', RESULTS)
  }
  console.log(table(results))
  console.log('summary', JSON.stringify(summary, null, 2))
  if (section) printInTime(section)
  for (const [what, c] of [['a busy process', cpu], ['a GC-heavy busy process', cpuGcHeavy]]) {
    if (!c) continue
    console.log(
      `overhead at defaults on ${what} (${c.gcPerSec.toFixed(0)} GCs/s): watchdog CPU share ${c.totalCpuSharePct.toFixed(2)}% ` +
        `= own callbacks + thread ${c.selfCpuSharePct.toFixed(2)}% + GC observer ${c.observerCpuSharePct.toFixed(2)}% (${c.observerUsPerGc.toFixed(1)} us/GC); ` +
        `A/B throughput delta ${c.abThroughputDeltaPct.toFixed(1)}% (noise on a shared machine)`,
    )
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})

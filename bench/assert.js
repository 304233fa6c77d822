'use strict'

// Scores assertNoLeak on the corpus in bench/fixtures/assert-corpus.js: every
// run is a fresh child process with default options. Clean functions must
// never be flagged, leaks always, and the failure message must name the
// leaking structure. Writes bench/results/assert.json.
//
//   node bench/assert.js [--clean-runs 20] [--leak-runs 3] [--jobs 1] [--only substring] [--node path]
const { execFile, execFileSync } = require('child_process')
const fs = require('fs')
const path = require('path')
const { cases } = require('./fixtures/assert-corpus')
const { median } = require('./stats')
const { DEFAULTS } = require('../lib/growth')

const CHILD = path.join(__dirname, 'fixtures', 'assert-child.js')
// Per-assertion time limit of the brief, for the default options.
const TIME_LIMIT_MS = 3000

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : fallback
}

function runChild(name, node) {
  return new Promise((resolve) => {
    execFile(node, [CHILD, name], { timeout: 120000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const line = stdout.split('\n').find((l) => l.startsWith('{'))
      let parsed = null
      try {
        parsed = line ? JSON.parse(line) : null
      } catch {
        parsed = null
      }
      if (err || !parsed) resolve({ name, error: String((err && err.message) || 'no result') + stderr.slice(0, 500) })
      else resolve(parsed)
    })
  })
}

async function pool(tasks, jobs) {
  const out = new Array(tasks.length)
  let next = 0
  async function worker() {
    while (next < tasks.length) {
      const i = next++
      out[i] = await tasks[i]()
    }
  }
  await Promise.all(Array.from({ length: jobs }, worker))
  return out
}

function summarize(c, runs) {
  const ok = runs.filter((r) => !r.error)
  const flagged = ok.filter((r) => r.leaking)
  const named = c.leaks ? flagged.filter((r) => r.message && r.message.includes(c.names)).length : null
  const measure = ok.map((r) => r.measureMs)
  // The run with the steepest slope, with its samples: the one that came
  // closest to a false positive (or to a miss, for a leak).
  const steepest = ok.reduce((a, r) => (a && a.bytesPerIteration >= r.bytesPerIteration ? a : r), null)
  return {
    name: c.name,
    leaks: c.leaks,
    runs: runs.length,
    errors: runs.length - ok.length,
    flagged: flagged.length,
    named,
    bytesPerIterationMedian: median(ok.map((r) => r.bytesPerIteration)),
    bytesPerIterationMax: ok.length ? Math.max(...ok.map((r) => r.bytesPerIteration)) : null,
    confidenceMax: ok.length ? Math.max(...ok.map((r) => r.confidence)) : null,
    netBytesPerIterationMax: ok.length ? Math.max(...ok.map((r) => r.netBytesPerIteration ?? -Infinity)) : null,
    // Runs whose deciding window's growth V8's compiling accounted for, and
    // the most half-windows a run added to wait for V8 to stop compiling.
    compiling: ok.filter((r) => r.judgement === 'compiling').length,
    // Runs with any window judged 'compiling' (a leak on the bytes that V8's
    // compiling accounted for: a false positive before this rule).
    compilingWindows: ok.filter((r) => (r.judgements || []).includes('compiling')).length,
    extensionsMax: ok.length ? Math.max(...ok.map((r) => r.extensions ?? 0)) : null,
    iterations: median(ok.map((r) => r.iterations)),
    measureMsMedian: median(measure),
    measureMsMax: measure.length ? Math.max(...measure) : null,
    totalMsMax: ok.length ? Math.max(...ok.map((r) => r.totalMs)) : null,
    topSuspect: c.leaks && flagged[0] && flagged[0].suspects[0] ? flagged[0].suspects[0] : null,
    firstError: runs.find((r) => r.error)?.error,
    steepestRun: steepest && {
      bytesPerIteration: steepest.bytesPerIteration,
      medianRoundBytesPerIteration: steepest.medianRoundBytesPerIteration,
      confidence: steepest.confidence,
      netBytesPerIteration: steepest.netBytesPerIteration,
      compiledBytesPerIteration: steepest.compiledBytesPerIteration,
      judgement: steepest.judgement,
      leaking: steepest.leaking,
      iterations: steepest.iterations,
      samples: steepest.samples,
    },
  }
}

function pad(s, n) {
  s = String(s)
  return s.length >= n ? s : s + ' '.repeat(n - s.length)
}

function table(rows) {
  const head = ['case', 'kind', 'verdicts', 'B/iter med (max)', 'net max', 'compiling', 'conf max', 'measure ms med/max', 'total ms max', 'names culprit']
  const widths = [38, 6, 14, 18, 8, 10, 9, 19, 13, 13]
  const lines = [head.map((h, i) => pad(h, widths[i])).join(' ')]
  for (const r of rows) {
    const verdict = r.leaks ? `${r.flagged}/${r.runs} found` : `${r.flagged}/${r.runs} FP`
    lines.push([
      r.name, r.leaks ? 'leak' : 'clean', verdict + (r.errors ? ` (${r.errors} err)` : ''),
      `${r.bytesPerIterationMedian?.toFixed(1)} (${r.bytesPerIterationMax?.toFixed(1)})`,
      r.netBytesPerIterationMax?.toFixed(1), `${r.compilingWindows}/${r.compiling} (${r.extensionsMax})`,
      r.confidenceMax?.toFixed(4), `${Math.round(r.measureMsMedian)}/${Math.round(r.measureMsMax)}`,
      Math.round(r.totalMsMax), r.leaks ? `${r.named}/${r.flagged}` : '-',
    ].map((v, i) => pad(v, widths[i])).join(' '))
  }
  return lines.join('\n')
}

async function main() {
  const cleanRuns = Number(arg('clean-runs', 20))
  const leakRuns = Number(arg('leak-runs', 3))
  const jobs = Number(arg('jobs', 1))
  const only = arg('only', '')
  // Another Node binary (the .node addon is Node-API, so it loads on 22 and 24 too).
  const node = arg('node', process.execPath)
  const selected = cases.filter((c) => c.name.includes(only))
  const tasks = []
  for (const c of selected) {
    for (let i = 0; i < (c.leaks ? leakRuns : cleanRuns); i++) tasks.push(() => runChild(c.name, node))
  }
  const t0 = Date.now()
  const results = await pool(tasks, jobs)
  const rows = selected.map((c) => summarize(c, results.filter((r) => r.name === c.name))).filter((r) => r.runs > 0)
  const leaks = rows.filter((r) => r.leaks)
  const clean = rows.filter((r) => !r.leaks)
  const summary = {
    leakCases: leaks.length,
    leakRuns: leaks.reduce((a, r) => a + r.runs, 0),
    leaksDetected: leaks.reduce((a, r) => a + r.flagged, 0),
    culpritNamed: leaks.reduce((a, r) => a + r.named, 0),
    cleanCases: clean.length,
    cleanRuns: clean.reduce((a, r) => a + r.runs, 0),
    falsePositives: clean.reduce((a, r) => a + r.flagged, 0),
    errors: rows.reduce((a, r) => a + r.errors, 0),
    maxMeasureMs: Math.max(...rows.map((r) => r.measureMsMax ?? 0)),
    maxCleanAssertionMs: Math.max(...clean.map((r) => r.totalMsMax ?? 0)),
    timeLimitMs: TIME_LIMIT_MS,
    smallestLeakBytesPerIteration: Math.min(...leaks.map((r) => r.bytesPerIterationMedian ?? Infinity)),
    largestCleanBytesPerIteration: Math.max(...clean.map((r) => r.bytesPerIterationMax ?? -Infinity)),
    wallSeconds: (Date.now() - t0) / 1000,
  }
  console.log(table(rows))
  console.log(`\nleaks detected ${summary.leaksDetected}/${summary.leakRuns} (culprit named in ${summary.culpritNamed}), ` +
    `false positives ${summary.falsePositives}/${summary.cleanRuns}, errors ${summary.errors}, ` +
    `slowest measurement ${Math.round(summary.maxMeasureMs)} ms, slowest clean assertion ${Math.round(summary.maxCleanAssertionMs)} ms ` +
    `(limit ${TIME_LIMIT_MS}), smallest leak ${summary.smallestLeakBytesPerIteration.toFixed(1)} B/iter, ` +
    `largest clean slope ${summary.largestCleanBytesPerIteration.toFixed(1)} B/iter, ${summary.wallSeconds.toFixed(0)} s`)
  const out = {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    defaults: DEFAULTS,
    options: { cleanRuns, leakRuns, jobs, only },
    summary,
    cases: rows,
  }
  const dir = path.join(__dirname, 'results')
  fs.mkdirSync(dir, { recursive: true })
  // Partial runs (one case, no clean or no leak runs) do not replace the record.
  // Other Node versions get their own record (assert-node22.json, ...).
  const childVersion = execFileSync(node, ['--version']).toString().trim()
  out.childNode = childVersion
  const file = node === process.execPath ? 'assert.json' : `assert-node${childVersion.slice(1).split('.')[0]}.json`
  if (!only && cleanRuns > 0 && leakRuns > 0) fs.writeFileSync(path.join(dir, file), `${JSON.stringify(out, null, 2)}\n`)
  const failed = summary.falsePositives > 0 || summary.leaksDetected < summary.leakRuns ||
    summary.maxCleanAssertionMs > TIME_LIMIT_MS || summary.errors > 0
  process.exitCode = failed ? 1 : 0
}

main()

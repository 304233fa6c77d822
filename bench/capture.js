'use strict'
// npm run bench:capture — compares, in one run and on DESIGN.md's fixture,
// v8.writeHeapSnapshot, v8.getHeapSnapshot() piped into zlib gzip, leakwatch
// inline and leakwatch fork, and both again with `redact: true`. Each capture runs in a fresh process; its peak RSS
// is the kernel's high-water mark (VmHWM) read from outside, with 5 ms RSS
// sampling beside it (and for a fork child, which exits before it can be read).
// Medians over BENCH_REPS runs go to bench/results/capture.json.
const { spawn } = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')
const readline = require('readline')
const { RssSampler } = require('./rss-sampler')
const { median, ratio } = require('./stats')

const ALL_METHODS = [
  'writeHeapSnapshot', 'writeHeapSnapshot-loaded', 'getHeapSnapshot-gzip', 'leakwatch-inline', 'leakwatch-fork',
  'leakwatch-inline-redacted', 'leakwatch-fork-redacted',
]
// BENCH_METHODS=a,b reruns a subset; the summary then covers only those.
const METHODS = process.env.BENCH_METHODS ? process.env.BENCH_METHODS.split(',') : ALL_METHODS
// Five: peak RSS differs by a few MB between methods and ±10 MB between runs.
const REPS = Number(process.env.BENCH_REPS || 5)
const FIXTURE = path.join(__dirname, 'fixtures', 'session-heap.js')
// BENCH_OUT=file keeps a subset run from replacing the full results.
const OUT = process.env.BENCH_OUT ? path.resolve(process.env.BENCH_OUT) : path.join(__dirname, 'results', 'capture.json')

function runOnce(method, dir, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--max-old-space-size=4096', FIXTURE, method, dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...env },
    })
    let sampler
    let done
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const ev = JSON.parse(line)
      if (ev.event === 'ready') sampler = new RssSampler(ev.pid, 5)
      if (ev.event === 'done') done = { ...ev, ...sampler.stop() }
    })
    child.on('exit', (code) => {
      if (sampler) sampler.stop()
      if (code === 0 && done) resolve(done)
      else reject(new Error(`${method} exited with ${code}`))
    })
  })
}

const mb = (b) => (b / 1e6).toFixed(1)

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-bench-capture-'))
  const runs = []
  for (let rep = 0; rep < REPS; rep++) {
    for (const method of METHODS) {
      const r = await runOnce(method, dir)
      runs.push(r)
      console.log(`${method.padEnd(22)} rep ${rep + 1}: loop blocked ${r.loopMaxBlockMs.toFixed(0)} ms, total ${r.totalMs.toFixed(0)} ms, ${mb(r.bytes)} MB, peak RSS ${mb(r.peakRss)} MB (+${mb(r.peakRss - r.baselineRss)})${r.childPeakRss ? ` (child ${mb(r.childPeakRss)} MB)` : ''}`)
    }
  }
  fs.rmSync(dir, { recursive: true, force: true })
  const summary = {}
  for (const method of METHODS) {
    const rs = runs.filter((r) => r.method === method)
    const pick = (k) => median(rs.map((r) => r[k]))
    summary[method] = {
      loopMaxBlockMs: pick('loopMaxBlockMs'),
      mainThreadMs: pick('mainThreadMs'),
      totalMs: pick('totalMs'),
      bytes: pick('bytes'),
      rawBytes: pick('rawBytes'),
      peakRss: pick('peakRss'),
      sampledPeakRss: pick('sampledPeakRss'),
      baselineRss: pick('baselineRss'),
      // What the capture itself added on top of the process as it was.
      peakRssOverBaseline: median(rs.map((r) => r.peakRss - r.baselineRss)),
      childPeakRss: pick('childPeakRss'),
    }
  }
  const none = {}
  const base = summary.writeHeapSnapshot || none
  const inline = summary['leakwatch-inline'] || none
  const fork = summary['leakwatch-fork'] || none
  const inlineRedacted = summary['leakwatch-inline-redacted'] || none
  const forkRedacted = summary['leakwatch-fork-redacted'] || none
  const raw = inline.rawBytes
  const ratios = {
    forkLoopBlockVsWriteHeapSnapshot: ratio(fork.loopMaxBlockMs, base.loopMaxBlockMs),
    inlineMainThreadVsWriteHeapSnapshot: ratio(inline.mainThreadMs, base.mainThreadMs),
    inlineOutputVsRaw: ratio(inline.bytes, raw),
    inlinePeakRssVsWriteHeapSnapshot: ratio(inline.peakRss, base.peakRss),
    inlinePeakRssOverBaselineVsWriteHeapSnapshot: ratio(inline.peakRssOverBaseline, base.peakRssOverBaseline),
    // The same process with leakwatch loaded: what the capture path costs.
    inlinePeakRssVsWriteHeapSnapshotLoaded: ratio(inline.peakRss, (summary['writeHeapSnapshot-loaded'] || none).peakRss),
    inlineTotalVsGetHeapSnapshotGzip: ratio(inline.totalMs, (summary['getHeapSnapshot-gzip'] || none).totalMs),
    // Redaction runs on the writer thread: the cost should show in total time only.
    redactedInlineMainThreadVsInline: ratio(inlineRedacted.mainThreadMs, inline.mainThreadMs),
    redactedInlineTotalVsInline: ratio(inlineRedacted.totalMs, inline.totalMs),
    redactedForkLoopBlockVsFork: ratio(forkRedacted.loopMaxBlockMs, fork.loopMaxBlockMs),
    redactedForkTotalVsFork: ratio(forkRedacted.totalMs, fork.totalMs),
  }
  const targets = {
    forkLoopBlockedAtMost50ms: fork.loopMaxBlockMs <= 50,
    inlineMainThreadAtMost105pct: ratios.inlineMainThreadVsWriteHeapSnapshot <= 1.05,
    outputAtMostOneSeventhOfRaw: ratios.inlineOutputVsRaw != null && ratios.inlineOutputVsRaw <= 1 / 7,
    inlinePeakRssAtMostWriteHeapSnapshot: inline.peakRss <= base.peakRss,
    redactedInlineMainThreadAtMost105pct: ratios.redactedInlineMainThreadVsInline != null && ratios.redactedInlineMainThreadVsInline <= 1.05,
    redactedTotalAtMost110pct: ratios.redactedInlineTotalVsInline != null && ratios.redactedForkTotalVsFork != null &&
      ratios.redactedInlineTotalVsInline <= 1.1 && ratios.redactedForkTotalVsFork <= 1.1,
  }
  const result = {
    benchmark: 'capture',
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    reps: REPS,
    fixture: { sessions: Number(process.env.BENCH_SESSIONS || 500000), heapUsedBytes: median(runs.map((r) => r.heapUsed)) },
    summary,
    ratios,
    targets,
    runs,
  }
  fs.mkdirSync(path.dirname(OUT), { recursive: true })
  fs.writeFileSync(OUT, JSON.stringify(result, null, 2) + '\n')
  console.log('\nmedians:')
  console.table(Object.fromEntries(Object.entries(summary).map(([k, s]) => [k, {
    'loop blocked ms': Math.round(s.loopMaxBlockMs),
    'main thread ms': Math.round(s.mainThreadMs),
    'total ms': Math.round(s.totalMs),
    'output MB': Number(mb(s.bytes)),
    'peak RSS MB': Number(mb(s.peakRss)),
    'over baseline MB': Number(mb(s.peakRssOverBaseline)),
    'child peak RSS MB': s.childPeakRss ? Number(mb(s.childPeakRss)) : '-',
  }])))
  console.log('ratios:', ratios)
  console.log('targets:', targets)
  console.log(`wrote ${path.relative(process.cwd(), OUT)}`)
}

module.exports = { runOnce }

if (require.main === module) {
  main().catch((e) => {
    console.error(e)
    process.exit(1)
  })
}

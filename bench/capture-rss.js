'use strict'
// npm run bench:capture-rss — where inline mode's peak RSS goes, on a small
// heap (20,000 sessions) where runs agree within ~1 MB, so that differences
// of a few MB, lost in the ±10-40 MB spread of the 500k-session fixture,
// show. Three methods, interleaved, each in a fresh process: the built-in
// writeHeapSnapshot; the same with leakwatch loaded; leakwatch inline.
// Writes bench/results/capture-rss.json.
const fs = require('fs')
const os = require('os')
const path = require('path')
const { runOnce } = require('./capture')
const { median } = require('./stats')

const METHODS = ['writeHeapSnapshot', 'writeHeapSnapshot-loaded', 'leakwatch-inline']
const REPS = Number(process.env.BENCH_REPS || 9)
const SESSIONS = 20000
const OUT = path.join(__dirname, 'results', 'capture-rss.json')
const mb = (b) => (b / 1e6).toFixed(2)

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-bench-capture-rss-'))
  const runs = []
  for (let rep = 0; rep < REPS; rep++) {
    for (const method of METHODS) {
      const r = await runOnce(method, dir, { BENCH_SESSIONS: String(SESSIONS) })
      runs.push(r)
      console.log(`${method.padEnd(26)} rep ${rep + 1}: before ${mb(r.baselineRss)} MB, peak ${mb(r.peakRss)} MB (+${mb(r.peakRss - r.baselineRss)})`)
    }
  }
  fs.rmSync(dir, { recursive: true, force: true })
  const summary = {}
  for (const method of METHODS) {
    const rs = runs.filter((r) => r.method === method)
    summary[method] = {
      baselineRss: median(rs.map((r) => r.baselineRss)),
      peakRss: median(rs.map((r) => r.peakRss)),
      peakRssOverBaseline: median(rs.map((r) => r.peakRss - r.baselineRss)),
    }
  }
  const plain = summary.writeHeapSnapshot
  const loaded = summary['writeHeapSnapshot-loaded']
  const inline = summary['leakwatch-inline']
  const breakdown = {
    // RSS a process carries once leakwatch is loaded, before any snapshot.
    addonLoadedBytes: loaded.baselineRss - plain.baselineRss,
    // V8's snapshot of leakwatch's own JS objects, with the built-in writer.
    ownObjectsInSnapshotBytes: loaded.peakRssOverBaseline - plain.peakRssOverBaseline,
    // The pipe, gzip thread and buffers on top of the same V8 work.
    capturePathBytes: inline.peakRssOverBaseline - loaded.peakRssOverBaseline,
    inlinePeakVsWriteHeapSnapshotBytes: inline.peakRss - plain.peakRss,
  }
  const result = { benchmark: 'capture-rss', date: new Date().toISOString(), node: process.version, sessions: SESSIONS, reps: REPS, summary, breakdown, runs }
  fs.mkdirSync(path.dirname(OUT), { recursive: true })
  fs.writeFileSync(OUT, JSON.stringify(result, null, 2) + '\n')
  console.log('breakdown (MB):', Object.fromEntries(Object.entries(breakdown).map(([k, v]) => [k, Number(mb(v))])))
  console.log(`wrote ${path.relative(process.cwd(), OUT)}`)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})

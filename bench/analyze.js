'use strict'
// npm run bench:analyze — times leakwatch's native analysis (parse, dominators,
// retained sizes, report) of DESIGN.md's ~269 MB snapshot, raw and gzip, each in
// a fresh process, and records the analysing process's peak RSS. Targets: <= 3 s
// and peak RSS <= the raw file size. Medians over BENCH_REPS runs go to
// bench/results/analyze.json. BENCH_SNAPSHOT=path reuses an existing snapshot.
const { spawnSync } = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')
const zlib = require('zlib')

const REPS = Number(process.env.BENCH_REPS || 3)
const OUT = path.join(__dirname, 'results', 'analyze.json')
const ROOT = path.join(__dirname, '..')

// Peak RSS is VmHWM, not resourceUsage().maxRSS: getrusage carries the high
// water mark of the forked pre-exec copy of this (parent) process over into
// the child, so the run right after the parent read the snapshot into memory
// reported the parent's size (348 MB) instead of the analysis's.
const PEAK = `Number(/VmHWM:\\s+(\\d+) kB/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1]) * 1024`

const CHILD = `
const { analyze } = require(${JSON.stringify(path.join(ROOT, 'lib', 'analyze.js'))})
const t = process.hrtime.bigint()
analyze([process.argv[1]]).then((r) => {
  const ms = Number(process.hrtime.bigint() - t) / 1e6
  console.log(JSON.stringify({ ms, maxRss: ${PEAK}, nodes: r.summary.snapshots[0].nodeCount, edges: r.summary.snapshots[0].edgeCount }))
})`

// The same process without the analysis: node itself and the loaded addon.
const BASELINE = `
require(${JSON.stringify(path.join(ROOT, 'binding.js'))})
console.log(JSON.stringify({ maxRss: ${PEAK} }))`

function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

function runOnce(file) {
  const r = spawnSync(process.execPath, ['-e', CHILD, file], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`analysis failed: ${r.stderr}`)
  return JSON.parse(r.stdout.trim().split('\n').pop())
}

const mb = (b) => (b / 1e6).toFixed(1)

function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-bench-analyze-'))
  let raw = process.env.BENCH_SNAPSHOT
  if (!raw) {
    raw = path.join(dir, 'session.heapsnapshot')
    const g = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=4096', path.join(__dirname, 'fixtures', 'analyze-session-heap.js'), raw], { stdio: 'inherit' })
    if (g.status !== 0) throw new Error('fixture failed')
  }
  const gz = path.join(dir, 'session.heapsnapshot.gz')
  fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(raw), { level: 1 }), { mode: 0o600 })
  const results = {}
  for (const [name, file] of [['raw', raw], ['gzip', gz]]) {
    const runs = []
    for (let rep = 0; rep < REPS; rep++) {
      const r = runOnce(file)
      runs.push(r)
      console.log(`${name.padEnd(5)} rep ${rep + 1}: ${r.ms.toFixed(0)} ms, peak RSS ${mb(r.maxRss)} MB (${r.nodes} nodes, ${r.edges} edges)`)
    }
    results[name] = {
      fileBytes: fs.statSync(file).size,
      ms: median(runs.map((r) => r.ms)),
      peakRss: median(runs.map((r) => r.maxRss)),
      nodes: runs[0].nodes,
      edges: runs[0].edges,
    }
  }
  const base = spawnSync(process.execPath, ['-e', BASELINE], { encoding: 'utf8' })
  const baselineRss = JSON.parse(base.stdout.trim()).maxRss
  for (const r of Object.values(results)) r.peakRssAboveBaseline = r.peakRss - baselineRss
  const rawBytes = results.raw.fileBytes
  const summary = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    reps: REPS,
    baselineRss,
    results,
    targets: { maxMs: 3000, maxPeakRss: rawBytes },
    met: results.raw.ms <= 3000 && results.raw.peakRss <= rawBytes,
  }
  fs.mkdirSync(path.dirname(OUT), { recursive: true })
  fs.writeFileSync(OUT, JSON.stringify(summary, null, 2) + '\n')
  fs.rmSync(dir, { recursive: true, force: true })
  console.log(`raw: ${results.raw.ms.toFixed(0)} ms, peak RSS ${mb(results.raw.peakRss)} MB (${mb(results.raw.peakRssAboveBaseline)} MB above node's own ${mb(baselineRss)} MB) for a ${mb(rawBytes)} MB file; targets ${summary.met ? 'met' : 'NOT met'}`)
}

main()

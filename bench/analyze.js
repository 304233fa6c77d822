'use strict'
// npm run bench:analyze — times leakwatch's native analysis (parse, dominators,
// retained sizes, report) of DESIGN.md's ~269 MB snapshot, raw and gzip, each in
// a fresh process, and records the analysing process's peak RSS; memlab's parse
// alone of the same file, and a 3-snapshot diff, run alongside. Targets: <= 3 s
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

// The 3-snapshot diff: the files are argv[1..3].
const DIFF_CHILD = `
const { analyze } = require(${JSON.stringify(path.join(ROOT, 'lib', 'analyze.js'))})
const t = process.hrtime.bigint()
analyze(process.argv.slice(1, 4)).then((r) => {
  const ms = Number(process.hrtime.bigint() - t) / 1e6
  const s = r.suspects[0]
  console.log(JSON.stringify({ ms, maxRss: ${PEAK}, top: s ? s.path : null, holder: s ? s.holder.description : null, kind: s ? s.kind : null }))
})`

// memlab's parse alone (no leak analysis), the same file, for comparison.
const MEMLAB_CHILD = `
const { getFullHeapFromFile } = require(${JSON.stringify(path.join(ROOT, 'scripts', 'bench-deps.js'))}).requireBenchDep('@memlab/heap-analysis')
const t = process.hrtime.bigint()
getFullHeapFromFile(process.argv[1]).then((heap) => {
  const ms = Number(process.hrtime.bigint() - t) / 1e6
  console.log(JSON.stringify({ ms, maxRss: ${PEAK}, nodes: heap.nodes.length }))
})`

// The same process without the analysis: node itself and the loaded addon.
const BASELINE = `
require(${JSON.stringify(path.join(ROOT, 'binding.js'))})
console.log(JSON.stringify({ maxRss: ${PEAK} }))`

function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

function runChild(script, args, extra = []) {
  const r = spawnSync(process.execPath, [...extra, '-e', script, ...args], { encoding: 'utf8', cwd: ROOT, maxBuffer: 1 << 24 })
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`)
  return JSON.parse(r.stdout.trim().split('\n').pop())
}

function runOnce(file) {
  return runChild(CHILD, [file])
}

/** Three snapshots of one process with a planted leak, analyzed together. */
function diffBench(dir) {
  const files = [1, 2, 3].map((n) => path.join(dir, `three-${n}.heapsnapshot`))
  const g = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=4096', path.join(__dirname, 'fixtures', 'analyze-three-snapshots.js'), ...files], { stdio: 'inherit' })
  if (g.status !== 0) throw new Error('three-snapshot fixture failed')
  const runs = []
  for (let rep = 0; rep < REPS; rep++) {
    const r = runChild(DIFF_CHILD, files)
    runs.push(r)
    console.log(`diff  rep ${rep + 1}: ${r.ms.toFixed(0)} ms, peak RSS ${mb(r.maxRss)} MB, top suspect ${r.top}`)
  }
  const out = {
    fileBytes: files.map((f) => fs.statSync(f).size),
    ms: median(runs.map((r) => r.ms)),
    peakRss: median(runs.map((r) => r.maxRss)),
    topSuspect: runs[0].top,
    topHolder: runs[0].holder,
    topKind: runs[0].kind,
  }
  for (const f of files) fs.rmSync(f, { force: true })
  return out
}

function memlabBench(file) {
  try {
    require('../scripts/bench-deps').ensureBenchDeps()
    const r = runChild(MEMLAB_CHILD, [file], ['--max-old-space-size=8192'])
    console.log(`memlab parse alone: ${r.ms.toFixed(0)} ms, peak RSS ${mb(r.maxRss)} MB`)
    return r
  } catch (err) {
    return { error: String(err.message).slice(0, 500) }
  }
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
  const memlab = memlabBench(raw)
  const diff = diffBench(dir)
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
    diff,
    memlabParseAlone: memlab,
    ratios: {
      timeVsMemlabParse: memlab.ms ? results.raw.ms / memlab.ms : null,
      peakRssVsMemlabParse: memlab.maxRss ? results.raw.peakRss / memlab.maxRss : null,
    },
    targets: { maxMs: 3000, maxPeakRss: rawBytes },
    met: results.raw.ms <= 3000 && results.raw.peakRss <= rawBytes,
  }
  fs.mkdirSync(path.dirname(OUT), { recursive: true })
  fs.writeFileSync(OUT, JSON.stringify(summary, null, 2) + '\n')
  fs.rmSync(dir, { recursive: true, force: true })
  console.log(`3-snapshot diff: ${diff.ms.toFixed(0)} ms, peak RSS ${mb(diff.peakRss)} MB; memlab parse alone: ${memlab.ms ? memlab.ms.toFixed(0) + ' ms, ' + mb(memlab.maxRss) + ' MB' : memlab.error}`)
  console.log(`raw: ${results.raw.ms.toFixed(0)} ms, peak RSS ${mb(results.raw.peakRss)} MB (${mb(results.raw.peakRssAboveBaseline)} MB above node's own ${mb(baselineRss)} MB) for a ${mb(rawBytes)} MB file; targets ${summary.met ? 'met' : 'NOT met'}`)
}

main()

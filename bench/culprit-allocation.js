'use strict'
// Allocation-site scoring for `npm run bench:culprit` (bench/culprit.js):
// does the report name the function that allocates the leak? Two parts:
//
// - scoreAllocation(report, expect): for the driver's own three-snapshot runs
//   (with `<base>.heapprofile` beside the snapshots), compares the top
//   suspect's `allocation.functionName` with the case's `expect.allocator`.
// - The watchdog mode (`node bench/culprit-allocation.js [--scripted] [--no-inlining]`): each
//   case runs in a child under `watch({ snapshots: 3 })` in compressed time,
//   and is scored from the watchdog's own 'report' event, as a service would
//   get it. --scripted replaces the growth detector with one that says
//   'suspected' from the start (the detector has its own benchmark,
//   bench/watchdog.js): the snapshots, profiles, analysis and report stay real.
//   Writes bench/results/culprit-allocation.json. The driver's loop stands
//   for a router (kept out of V8's optimizing tiers, see drive()); a case
//   may export `perSecond` to pace its steps as a service's traffic would.
//
// Env: CULPRIT_CASES=a,b (only these), CULPRIT_CASES_DIR (default bench/culprit/cases).
const { spawnSync } = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')

const CASES = process.env.CULPRIT_CASES_DIR || path.join(__dirname, 'culprit', 'cases')
const OUT = path.join(__dirname, 'results', 'culprit-allocation.json')
// Children run as a service does, with V8's inlining on (the report must cope
// with callees charged to their callers); --no-inlining turns it off.
const CHILD_FLAGS = process.argv.includes('--no-inlining') ? ['--no-turbo-inlining', '--no-maglev-inlining'] : []

/** Scores a report's top suspect's allocating function against `expect.allocator`. */
function scoreAllocation(report, expect) {
  const top = report.suspects[0] || null
  const site = top && top.allocation
  if (expect.clean) return { allocatorNamed: null, allocator: site ? site.functionName : null }
  // An anonymous allocating function (a callback) is read as the named
  // function that runs it: the next named frame of the stack outside Node.
  const named = site && (site.functionName ||
    (site.frames.find((f) => f.functionName && f.url && !f.url.startsWith('node:')) || {}).functionName || '')
  return {
    allocatorNamed: !!site && named === expect.allocator,
    allocator: named || null,
    at: site ? `${site.url}:${site.line + 1}:${site.column + 1}` : null,
    matchedBy: site ? site.matchedBy : null,
    topSite: (report.summary.allocationSites || [])[0]?.functionName ?? null,
  }
}

function listCases() {
  const only = process.env.CULPRIT_CASES ? new Set(process.env.CULPRIT_CASES.split(',')) : null
  return fs.readdirSync(CASES).filter((f) => f.endsWith('.js')).map((f) => f.slice(0, -3))
    .filter((n) => !only || only.has(n)).sort()
}

// A service reaches its handlers from a router or an emitter whose call site
// sees many functions, and V8 does not inline a handler into it. This driver's
// loop calls one function from one site: optimized, it inlined the whole case
// and the profiler named the loop (`child`) in 11 of 12 cases with inlining on
// (docs/allocation-sites.md). So the loop, which stands for the router, is kept
// out of the optimizing tiers; the case's own code is optimized and inlines
// its callees as V8 likes, as a service's handlers do.
async function drive(c, state) {
  // Work in small slices so the watchdog's timer runs between them, at the
  // case's own pace when it has one (a socket per step exhausted the file
  // descriptors within a second unpaced: ~12,000 steps/s here).
  const perSlice = c.perSecond ? Math.max(1, Math.round(c.perSecond / 20)) : 50
  let i = 0
  while (!state.done && Date.now() - state.t0 < 120000) {
    const sliceStart = Date.now()
    for (let k = 0; k < perSlice; k++) await c.step(i++)
    const wait = c.perSecond ? Math.max(0, 50 - (Date.now() - sliceStart)) : 0
    await new Promise((resolve) => (wait ? setTimeout(resolve, wait) : setImmediate(resolve)))
  }
}

/** Child: one case, driven until the watchdog's 'report'; prints it as one JSON line. */
async function child(name, dir, scripted) {
  const c = require(path.join(CASES, `${name}.js`))
  const { watch } = require('../lib/watchdog')
  const { capture } = require('../lib/capture')
  if (c.setup) await c.setup()
  // The watchdog saves the sampling heap profile beside each snapshot itself.
  const takeSnapshot = (label, o) => capture({ ...o, label })
  const deps = { takeSnapshot }
  if (scripted) {
    deps.NativeWatchdog = class {
      constructor(o) { this.o = o }
      addSample() { return false }
      gcDue() { return null }
      gcDone() {}
      evaluate(now, heap) { return [{ kind: 'heap', urgent: false, state: 'suspected', windowMs: this.o.windowMs, growthBytesPerMin: 0, recentGrowthBytesPerMin: 0, confidence: 0.99, samples: 9, liveHeapBytes: heap.heapUsedBytes, reason: 'scripted' }] }
      memory() { return { rssBytes: process.memoryUsage().rss, peakRssBytes: 0, samplerCpuMs: 0 } }
      stop() {}
    }
  }
  const wd = watch({
    intervalMs: 100, windowMs: 2000, warmupMs: 0, minGrowthBytesPerMin: 64 * 1024, snapshots: 3,
    snapshot: { dir, mode: 'inline', gzipLevel: 1 },
    // Compressed time: a 2 s window instead of the default 3 min (90x), so
    // the interval is scaled down from the default 512 KiB to keep about as
    // many samples per window as a service gets. At 64 KiB the closures of
    // middleware-closures (~100 bytes a request) got 0-3 samples per window.
    heapProfile: { when: 'always', samplingIntervalBytes: 8 * 1024 },
  }, deps)
  const state = { t0: Date.now(), done: false }
  const t0 = state.t0
  wd.on('report', (report) => {
    state.done = true
    // A pipe's write is asynchronous: exit once it is flushed, or a large
    // report is cut short.
    process.stdout.write(`${JSON.stringify({ report: report.toJSON(), ms: Date.now() - t0 })}\n`, () => process.exit(0))
  })
  wd.on('error', (err) => { process.stdout.write(`${JSON.stringify({ error: err.code, message: err.message })}\n`, () => process.exit(0)) })
  // The child runs with --allow-natives-syntax (main() passes it).
  new Function('f', '%NeverOptimizeFunction(f)')(drive)
  await drive(c, state)
  const done = state.done
  // The report's handler exits once its line is flushed.
  if (done) return
  process.stdout.write(`${JSON.stringify({ error: 'NO_REPORT', message: 'no report within 120 s' })}\n`, () => process.exit(0))
}

function main() {
  const scripted = process.argv.includes('--scripted')
  const results = []
  for (const name of listCases()) {
    const expect = require(path.join(CASES, `${name}.js`)).expect
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-culprit-alloc-'))
    try {
      const r = spawnSync(process.execPath, ['--allow-natives-syntax', ...CHILD_FLAGS, __filename, '--child', name, dir, scripted ? 'scripted' : 'real'], { encoding: 'utf8', timeout: 180000, maxBuffer: 256 << 20 })
      const line = (r.stdout || '').trim().split('\n').pop() || '{}'
      const out = JSON.parse(line.startsWith('{') ? line : '{}')
      const score = out.report ? scoreAllocation(out.report, expect) : { allocatorNamed: false, error: out.error || `exit ${r.status}` }
      results.push({ case: name, expect: expect.allocator || null, ms: out.ms ?? null, ...score })
      process.stderr.write(`${name}: ${score.allocator ?? score.error} (expected ${expect.allocator || 'none'})\n`)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
  const leaks = results.filter((r) => r.expect)
  const out = {
    node: process.version,
    date: new Date().toISOString(),
    detector: scripted ? 'scripted (always suspected)' : 'real',
    childFlags: CHILD_FLAGS,
    allocatorNamed: `${leaks.filter((r) => r.allocatorNamed).length}/${leaks.length}`,
    results,
  }
  fs.mkdirSync(path.dirname(OUT), { recursive: true })
  const tmp = `${OUT}.${process.pid}.tmp`
  fs.writeFileSync(tmp, `${JSON.stringify(out, null, 2)}\n`)
  fs.renameSync(tmp, OUT)
  process.stdout.write(`allocating function named: ${out.allocatorNamed} (${out.detector} detector); wrote ${OUT}\n`)
}

if (require.main === module) {
  const i = process.argv.indexOf('--child')
  if (i >= 0) child(process.argv[i + 1], process.argv[i + 2], process.argv[i + 3] === 'scripted')
  else main()
}

module.exports = { scoreAllocation }

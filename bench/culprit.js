'use strict'
// npm run bench:culprit — does the analyzer name what to fix? Each case under
// bench/culprit/cases/ is a small real program with one known leak (or none:
// the clean-* cases); its `expect` gives the holder's name, the kind and the
// allocating function. Per case: one child process does warm-up plus three
// rounds of work, with a GC and a leakwatch snapshot after each round; the
// three snapshots go to leakwatch's analyze() and to memlab's 3-snapshot leak
// search (`find-leaks --trace-all-objects`), in the same run. Scored: top-1
// suspect's holder.name and kind (clean cases: no suspect at all), and whether
// memlab's top leak trace names the holder. Writes bench/results/culprit.json.
//
// Env: CULPRIT_CASES=a,b (only these cases), CULPRIT_MEMLAB=0 (skip memlab),
// CULPRIT_PER_ROUND=n (work items per round, default 1500).
const { spawnSync } = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')
const zlib = require('zlib')
const { analyze } = require('../lib/analyze')

const CASES = path.join(__dirname, 'culprit', 'cases')
const OUT = path.join(__dirname, 'results', 'culprit.json')
const PER_ROUND = Number(process.env.CULPRIT_PER_ROUND) || 1500

/** Case names, in a stable order. */
function listCases() {
  const only = process.env.CULPRIT_CASES ? new Set(process.env.CULPRIT_CASES.split(',')) : null
  return fs.readdirSync(CASES)
    .filter((f) => f.endsWith('.js'))
    .map((f) => f.slice(0, -3))
    .filter((n) => !only || only.has(n))
    .sort()
}

/** What a case is known to leak: { holder, kind, allocator } or { clean: true }. */
function expectationOf(name) {
  return require(path.join(CASES, `${name}.js`)).expect
}

/**
 * Runs one case in its own process and returns its three snapshot paths,
 * oldest first, written into `dir`. Throws when the child fails.
 * @returns {{ paths: string[], ms: number }}
 */
function runCase(name, dir, { perRound = PER_ROUND, nodeArgs = [] } = {}) {
  const started = Date.now()
  const r = spawnSync(process.execPath, ['--expose-gc', ...nodeArgs, path.join(__dirname, 'culprit', 'child.js'), name, dir, String(perRound)], {
    encoding: 'utf8',
    timeout: 180000,
  })
  if (r.status !== 0) throw new Error(`case ${name} failed (${r.status} ${r.signal || ''}): ${r.stderr.slice(-2000)}`)
  const line = r.stdout.trim().split('\n').pop()
  return { paths: JSON.parse(line).paths, ms: Date.now() - started }
}

/** Scores leakwatch's top suspect against the expectation. */
function scoreLeakwatch(report, expect) {
  const top = report.suspects[0] || null
  const summary = top && {
    holder: top.holder.description,
    holderName: top.holder.name,
    kind: top.kind,
    advice: top.advice,
    path: top.path,
    constructor: top.constructor,
    counts: top.counts,
  }
  if (expect.clean) return { named: report.suspects.length === 0, holderNamed: null, kindNamed: null, suspects: report.suspects.length, top: summary }
  const holderNamed = !!top && top.holder.name === expect.holder
  const kindNamed = !!top && top.kind === expect.kind
  return { named: holderNamed && kindNamed, holderNamed, kindNamed, suspects: report.suspects.length, top: summary }
}

/** memlab's 3-snapshot leak search on the same snapshots (raw copies, removed after). */
function runMemlab(paths, expect) {
  if (process.env.CULPRIT_MEMLAB === '0') return { skipped: true }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-culprit-memlab-'))
  try {
    const raw = paths.map((p, i) => {
      const out = path.join(work, `s${i + 1}.heapsnapshot`)
      fs.writeFileSync(out, zlib.gunzipSync(fs.readFileSync(p)), { mode: 0o600 })
      return out
    })
    const r = spawnSync(process.execPath, ['--max-old-space-size=4096', path.join(__dirname, 'culprit-memlab.js'), ...raw, path.join(work, 'memlab')], {
      encoding: 'utf8',
      timeout: 600000,
    })
    const line = (r.stdout || '').trim().split('\n').pop()
    let res
    try {
      res = JSON.parse(line)
    } catch {
      return { error: `memlab exited ${r.status}: ${(r.stderr || '').slice(-500)}` }
    }
    if (res.error) return res
    const top = res.traces[0] || []
    // memlab names the holder when its top trace has it as an edge or a closure.
    const named = !expect.clean && top.some((step) => step.includes(`--${expect.holder} (`) || step.includes(`[${expect.holder}]`))
    return { ms: res.ms, leaks: res.count, holderNamed: expect.clean ? null : named, cleanOk: expect.clean ? res.count === 0 : null, topTrace: top.slice(-6) }
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
}

function writeAtomic(file, text) {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(tmp, text)
  fs.renameSync(tmp, file)
}

async function main() {
  const results = []
  for (const name of listCases()) {
    const expect = expectationOf(name)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `lw-culprit-${name}-`))
    try {
      const { paths, ms } = runCase(name, dir)
      const t0 = Date.now()
      const report = await analyze(paths)
      const analyzeMs = Date.now() - t0
      const lw = scoreLeakwatch(report, expect)
      const memlab = runMemlab(paths, expect)
      results.push({ case: name, expect, snapshotMs: ms, leakwatch: { ...lw, ms: analyzeMs }, memlab })
      console.log(`${name.padEnd(26)} leakwatch ${lw.named ? 'named   ' : 'MISSED  '} ${lw.top ? `${lw.top.kind} / ${lw.top.holder}` : '(no suspect)'}`)
      console.log(`${''.padEnd(26)} memlab    ${memlab.skipped ? 'skipped' : memlab.error ? `error: ${memlab.error.slice(0, 120)}` : expect.clean ? `${memlab.leaks} leak traces` : memlab.holderNamed ? 'names the holder' : 'does not name the holder'}`)
    } catch (err) {
      results.push({ case: name, expect, error: String(err.message).slice(0, 2000) })
      console.log(`${name.padEnd(26)} ERROR ${err.message.slice(0, 200)}`)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
  const leaks = results.filter((r) => !r.expect.clean)
  const clean = results.filter((r) => r.expect.clean)
  const totals = {
    cases: results.length,
    leakCases: leaks.length,
    cleanCases: clean.length,
    leakwatchHolderNamed: leaks.filter((r) => r.leakwatch && r.leakwatch.holderNamed).length,
    leakwatchKindNamed: leaks.filter((r) => r.leakwatch && r.leakwatch.kindNamed).length,
    leakwatchCleanQuiet: clean.filter((r) => r.leakwatch && r.leakwatch.named).length,
    memlabHolderNamed: leaks.filter((r) => r.memlab && r.memlab.holderNamed).length,
    memlabCleanQuiet: clean.filter((r) => r.memlab && r.memlab.cleanOk).length,
  }
  const out = { date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, perRound: PER_ROUND, totals, results }
  writeAtomic(OUT, `${JSON.stringify(out, null, 2)}\n`)
  console.log(`\nleakwatch: holder named ${totals.leakwatchHolderNamed}/${totals.leakCases}, kind ${totals.leakwatchKindNamed}/${totals.leakCases}, clean cases quiet ${totals.leakwatchCleanQuiet}/${totals.cleanCases}`)
  console.log(`memlab:    holder in top trace ${totals.memlabHolderNamed}/${totals.leakCases}, clean cases with no trace ${totals.memlabCleanQuiet}/${totals.cleanCases}`)
  console.log(`wrote ${OUT}`)
}

module.exports = { listCases, expectationOf, runCase, scoreLeakwatch, runMemlab }

if (require.main === module) {
  main().catch((err) => {
    console.error(err)
    process.exitCode = 1
  })
}

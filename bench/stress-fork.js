'use strict'
// npm run stress:fork — takes STRESS_N (default 100) consecutive fork-mode
// snapshots on each Node version (machine node, 22, 24, 26; STRESS_VERSIONS=
// node26,node24 picks some) in a host that keeps
// allocating like a busy service, and validates every file (gunzip, parse,
// node array length). A version is "proven" only if every snapshot was
// delivered by a fork child on the first attempt or after retries, with no
// fallback. Results: bench/results/stress-fork.json, where the records of
// versions not run this time are kept.
const fs = require('fs')
const os = require('os')
const path = require('path')
const { execFileSync } = require('child_process')
const { Host, readSnapshot } = require('../__test__/helpers')
const { nodeBinaries } = require('../scripts/node-versions')
const { ensure } = require('../scripts/ensure-node-versions')
const { median } = require('./stats')

const N = Number(process.env.STRESS_N || 100)
const HOST = path.join(__dirname, '..', '__test__', 'fixtures', 'capture-host.js')
const OUT = path.join(__dirname, 'results', 'stress-fork.json')

async function stress({ name, bin }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `lw-stress-${name}-`))
  const h = new Host(HOST, { ALLOCATE: '1', HEAP_OBJECTS: '50000' }, { node: bin })
  const r = { version: name, attempted: N, valid: 0, firstAttempt: 0, retried: 0, failed: [], blockedMs: [], totalMs: [] }
  try {
    await h.waitFor((e) => e.event === 'ready')
    for (let i = 0; i < N; i++) {
      const from = h.events.length
      h.send({ op: 'snapshot', opts: { dir, mode: 'fork', maxFiles: 2, hangMs: 1000 } })
      const ev = await h.waitFor((e) => e.event === 'snapshot-result' || e.event === 'snapshot-error', 120000, from)
      if (ev.event === 'snapshot-error') {
        r.failed.push(`${ev.code}: ${ev.message}`)
        continue
      }
      try {
        readSnapshot(ev.info.path)
        r.valid++
        if (ev.info.attempts === 1) r.firstAttempt++
        else r.retried++
        r.blockedMs.push(ev.info.loopBlockedMs)
        r.totalMs.push(ev.info.durationMs)
      } catch (err) {
        r.failed.push(`invalid file: ${err.message}`)
      }
    }
  } finally {
    await h.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
  r.proven = r.valid === N
  r.medianLoopBlockedMs = median(r.blockedMs)
  r.maxLoopBlockedMs = Math.max(...r.blockedMs)
  r.medianTotalMs = median(r.totalMs)
  delete r.blockedMs
  delete r.totalMs
  return r
}

function previousResults() {
  try {
    return JSON.parse(fs.readFileSync(OUT, 'utf8')).results || []
  } catch {
    return []
  }
}

async function main() {
  ensure()
  const only = (process.env.STRESS_VERSIONS || '').split(',').filter(Boolean)
  const binaries = nodeBinaries().filter((b) => only.length === 0 || only.includes(b.name))
  if (binaries.length === 0) throw new Error(`no Node binary matches STRESS_VERSIONS=${process.env.STRESS_VERSIONS}`)
  const results = []
  for (const b of binaries) {
    const r = await stress(b)
    r.node = execFileSync(b.bin, ['--version']).toString().trim()
    r.date = new Date().toISOString()
    results.push(r)
    console.log(`${r.version} (${r.node}): ${r.valid}/${r.attempted} valid (${r.firstAttempt} first attempt, ${r.retried} after retry), loop blocked median ${r.medianLoopBlockedMs.toFixed(1)} ms max ${r.maxLoopBlockedMs.toFixed(1)} ms${r.failed.length ? `, failures: ${r.failed.slice(0, 3).join('; ')}` : ''}`)
  }
  const kept = previousResults().filter((p) => !results.some((r) => r.version === p.version))
  const all = [...kept, ...results].sort((a, b) => a.version.localeCompare(b.version, 'en', { numeric: true }))
  fs.mkdirSync(path.dirname(OUT), { recursive: true })
  fs.writeFileSync(OUT, JSON.stringify({ benchmark: 'stress-fork', date: new Date().toISOString(), perVersion: N, results: all }, null, 2) + '\n')
  console.log(`wrote ${path.relative(process.cwd(), OUT)}`)
  process.exit(results.every((r) => r.proven) ? 0 : 1)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})

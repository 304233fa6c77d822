'use strict'
// Capture has no side effects; publishing does (issue 13). assertNoLeak's
// throwaway snapshots reach no sink and no metric; the snapshot() API and a
// signal still do. Each case runs in a small real node process: its snapshots
// are quick, its metrics its own, and signals arrive as users get them.
const { execFileSync } = require('child_process')
const fs = require('fs')
const path = require('path')
const { NODE, tempDir } = require('./helpers')

const ROOT = JSON.stringify(path.join(__dirname, '..'))

/** Runs `body` (an async function body with `leakwatch`, `seen`, `lines()`) and returns what it prints last. */
function inChild(body) {
  const code = `
    const leakwatch = require(${ROOT})
    const seen = []
    leakwatch.onSnapshot((info) => { seen.push(info.path) })
    const lines = () => leakwatch.metrics().split('\\n').filter((l) => l.startsWith('leakwatch_snapshots_total{'))
    const keepAlive = setInterval(() => {}, 1000) // a pending signal alone keeps no loop alive
    ;(async () => { ${body} })().then((r) => {
      clearInterval(keepAlive)
      return leakwatch.flushSinks().then(() => console.log(JSON.stringify({ ...r, seen, lines: lines() })))
    })`
  const out = execFileSync(NODE, ['-e', code], { encoding: 'utf8', timeout: 90000 })
  return JSON.parse(out.trim().split('\n').pop())
}

test('a failing assertNoLeak reaches no sink and no metric line', () => {
  const r = inChild(`
    const leaked = []
    const err = await leakwatch.assertNoLeak(() => { leaked.push({ id: leaked.length, pad: 'x'.repeat(64) }) })
      .then(() => null, (e) => e)
    return { code: err && err.code, suspects: err ? err.result.suspects.length : 0, recent: leakwatch.status().snapshots }`)
  expect(r.code).toBe('ERR_LEAKWATCH_LEAK_DETECTED')
  // It did take its explanation snapshots: the suspects come from them.
  expect(r.suspects).toBeGreaterThan(0)
  expect(r.seen).toEqual([])
  expect(r.lines).toEqual([])
  expect(r.recent).toEqual([])
})

test('snapshot() and a signal publish: one sink call and one metric line each', () => {
  const dir = JSON.stringify(tempDir('publish'))
  const r = inChild(`
    const sub = leakwatch.onSignal('SIGUSR2', { dir: ${dir}, mode: 'inline' })
    const api = await leakwatch.snapshot({ dir: ${dir}, mode: 'inline' })
    const sig = new Promise((resolve) => leakwatch.events.once('snapshot', resolve))
    process.kill(process.pid, 'SIGUSR2')
    const s = await sig
    sub.close()
    return { expected: [api.path, s.path] }`)
  expect(r.seen).toEqual(r.expected)
  expect(r.lines).toEqual(['leakwatch_snapshots_total{result="success",mode="inline"} 2'])
})

test('a failed published capture is counted once, with its code', () => {
  const file = path.join(tempDir('publish-err'), 'file')
  fs.writeFileSync(file, 'x')
  const r = inChild(`
    const err = await leakwatch.snapshot({ dir: ${JSON.stringify(file)}, mode: 'inline' }).then(() => null, (e) => e)
    return { code: err && err.code, recent: leakwatch.status().snapshots }`)
  expect(r.code).toMatch(/^ERR_LEAKWATCH_/)
  expect(r.recent).toHaveLength(1)
  expect(r.recent[0]).toMatchObject({ result: 'error', mode: 'inline', code: r.code })
  expect(r.lines).toEqual(['leakwatch_snapshots_total{result="error",mode="inline"} 1'])
})

test('the watchdog takes its snapshots through publish', () => {
  // index.watch() hands the watchdog the publishing snapshot(), never capture's.
  const src = fs.readFileSync(require.resolve('..'), 'utf8')
  expect(src).toMatch(/const \{ snapshot \} = require\('\.\/lib\/publish'\)/)
  expect(src).toMatch(/takeSnapshot: \(label\) => snapshot\(/)
})

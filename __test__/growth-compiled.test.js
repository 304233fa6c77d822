'use strict'
// V8's own compiling is not a leak, and a leak of compiled code still is
// (src/growth/mod.rs: judge, next_step). Each post-GC sample carries V8's
// compiled code and bytecode; growth that they account for waits for a later
// window and, without one, is no leak. Real calls, default options where
// users would use them (bench:assert runs the compiled-code leaks at
// defaults); the culprit phase is left out (run(..., false)) to keep the
// tests short: the figures are the verdict's.
const path = require('path')
const vm = require('vm')
const { execFile } = require('child_process')
const { run } = require('../lib/growth')
const { formatNoLeak } = require('../lib/growth-format')

// Every call compiles new code, so the default warm-up runs to its cap.
const SHORT = { iterations: 200, warmup: 400 }
const CHILD = path.join(__dirname, '..', 'bench', 'fixtures', 'assert-child.js')

function corpusCase(name) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CHILD, name], { timeout: 120000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message}\n${stderr}`))
      resolve(JSON.parse(stdout.split('\n').find((l) => l.startsWith('{'))))
    })
  })
}

test('samples carry V8 compiled bytes and the result says how the window was judged', async () => {
  const r = await run(() => JSON.parse('{"a":[1,2,3]}'), { iterations: 200, rounds: 6 }, false)
  expect(r.leaking).toBe(false)
  expect(['clean', 'compiling']).toContain(r.judgement)
  for (const s of r.samples) expect(s.compiled).toBeGreaterThan(0)
  expect(Number.isFinite(r.netBytesPerIteration)).toBe(true)
  expect(formatNoLeak(r)).toMatch(/Measured: /)
})

test('a new Function kept per call is a leak, net of its compiled code too', async () => {
  const kept = []
  const r = await run(() => {
    const f = new Function('row', `return row.id + ${kept.length}`)
    f({ id: 1 })
    kept.push(f)
  }, SHORT, false)
  expect(r).toMatchObject({ leaking: true, judgement: 'leak' })
  expect(r.compiledBytesPerIteration).toBeGreaterThan(0)
  expect(r.netBytesPerIteration).toBeGreaterThan(r.budgetBytesPerIteration)
})

test('a vm.Script kept per call is a leak', async () => {
  const kept = []
  const r = await run(() => { kept.push(new vm.Script(`globalThis.x = ${kept.length}`)) }, SHORT, false)
  expect(r).toMatchObject({ leaking: true, judgement: 'leak' })
  expect(r.netBytesPerIteration).toBeGreaterThan(r.budgetBytesPerIteration)
})

// Both stay compiling for thousands of calls (V8 tiers them up and drops
// code again): the growth of V8's own code read as a leak before.
test('a watchdog started and stopped is clean under default options (corpus child)', async () => {
  const r = await corpusCase('watchdog start and stop')
  expect(r).toMatchObject({ leaking: false, code: null })
}, 60000)

test('native fetch to a local server is clean under default options (corpus child)', async () => {
  const r = await corpusCase('native fetch to a local server')
  expect(r).toMatchObject({ leaking: false, code: null })
}, 60000)

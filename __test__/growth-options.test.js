'use strict'
// measureGrowth / assertNoLeak / toLeak options have one schema, in Rust
// (src/growth/options.rs), read here through the binding (issue 13). These
// tests fail when a twin comes back: a range or default of its own in
// lib/growth.js, or a README table / lib/growth.d.ts that states another.
// Refusals come before the first call of `fn`, so they cost nothing; a
// value the schema takes is seen reaching `fn` (which then throws at once).
const fs = require('fs')
const path = require('path')
require('../jest')
const { measureGrowth, assertNoLeak } = require('..')
const { GROWTH_SCHEMA: SCHEMA, GROWTH_TYPES, DEFAULTS } = require('../lib/growth')

const ROOT = path.join(__dirname, '..')
const NUMBERS = SCHEMA.numbers
const INVALID = 'ERR_LEAKWATCH_INVALID_OPTION'
const CALLED = new Error('fn was called: the options were taken')
const throwing = () => { throw CALLED }

// Each public entry point, given `fn` and the options.
const ENTRY_POINTS = [
  ['measureGrowth', (fn, opts) => measureGrowth(fn, opts)],
  ['assertNoLeak', (fn, opts) => assertNoLeak(fn, opts)],
  ['toLeak', (fn, opts) => expect(fn).not.toLeak(opts)],
]

// The lowest `rounds` cannot reach the default confidence, nor the default
// rounds a confidence near 1 (the schema says so): ask for what they can reach.
const withEnd = (name, v) => ({ rounds: { rounds: v, confidence: 0.6 }, confidence: { confidence: v, rounds: 10000 } }[name] ?? { [name]: v })
// An end of a range itself, or just inside it when the end is excluded.
const lowEnd = (s) => (s.minInclusive ? s.min : s.min + 1e-9)
const highEnd = (s) => (s.max == null ? Number.MAX_VALUE : s.maxInclusive ? s.max : s.max - 1e-9)

test('the schema is there: every option measureGrowth takes', () => {
  expect(NUMBERS.map((s) => s.name)).toEqual(['iterations', 'rounds', 'budgetBytesPerIteration', 'confidence', 'warmup', 'timeoutMs'])
  expect(Object.keys(GROWTH_TYPES)).toEqual(NUMBERS.map((s) => s.name))
  expect(DEFAULTS).toEqual({ rounds: 10, budgetBytesPerIteration: 24, confidence: 0.99, timeoutMs: 30000 })
})

describe.each(ENTRY_POINTS)('%s takes exactly what the schema takes', (_, call) => {
  test.each(NUMBERS.map((s) => [s.name, s]))('%s: each end of its range, and just past it', async (name, s) => {
    await expect(call(throwing, withEnd(name, lowEnd(s)))).rejects.toBe(CALLED)
    // Unbounded above: the largest finite number is taken.
    await expect(call(throwing, withEnd(name, highEnd(s)))).rejects.toBe(CALLED)
    const below = s.minInclusive ? s.min - (s.integer ? 1 : 0.5) : s.min
    const above = s.max == null ? Infinity : s.maxInclusive ? s.max + 1 : s.max
    for (const bad of [below, above, NaN, String(s.min)]) {
      await expect(call(throwing, { [name]: bad })).rejects.toMatchObject({ code: INVALID, message: expect.stringMatching(new RegExp(`^invalid option ${name}: expected a`)) })
    }
    if (s.integer) await expect(call(throwing, { [name]: s.min + 0.5 })).rejects.toMatchObject({ code: INVALID })
    // The message states the range in the docs' words (src/range.rs).
    await expect(call(throwing, { [name]: above })).rejects.toThrow(`invalid option ${name}: expected ${s.integer ? 'an' : 'a number'} ${s.range}, got ${above}`)
  })

  test('rounds too few for the confidence, unknown names, non-objects', async () => {
    await expect(call(throwing, { rounds: 3 })).rejects.toMatchObject({ code: INVALID, message: expect.stringMatching(/^invalid option rounds: 3 rounds can reach a confidence of at most 0\.9\d+, below confidence 0.99$/) })
    await expect(call(throwing, { itrations: 10 })).rejects.toMatchObject({ code: INVALID, message: expect.stringContaining('did you mean `iterations`?') })
    await expect(call(throwing, { budget: 10 })).rejects.toMatchObject({ code: INVALID, message: expect.stringContaining('did you mean `budgetBytesPerIteration`?') })
    await expect(call(throwing, 5)).rejects.toMatchObject({ code: INVALID, message: 'invalid option options: expected an object' })
  })
})

test("defaults: what the schema says, in a real measurement", async () => {
  const r = await measureGrowth(() => {}, { iterations: 20, warmup: 0 })
  expect(r.requiredConfidence).toBe(DEFAULTS.confidence)
  // Rounds past the default are the plateau checks.
  expect(r.rounds - r.extensions * Math.ceil(DEFAULTS.rounds / 2)).toBe(DEFAULTS.rounds)
  expect(r.iterations).toBe(20)
  // The default budget, raised to the round floor (256 B per round of 20 calls).
  expect(r.budgetBytesPerIteration).toBe(Math.max(DEFAULTS.budgetBytesPerIteration, 256 / 20))
}, 60000)

describe('the docs state the schema', () => {
  test("README's toLeak table: every option, its default and its range", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
    const start = readme.indexOf('| option |', readme.indexOf('### Jest: `await expect(fn).not.toLeak(opts?)`'))
    const table = readme.slice(start, readme.indexOf('\n\n', start))
    const rows = Object.fromEntries([...table.matchAll(/^\| `(\w+)` \| ([^|]+?) \| ([^|]+?) \|/mg)].map((m) => [m[1], { def: m[2], range: m[3] }]))
    expect(Object.keys(rows)).toEqual(NUMBERS.map((s) => s.name))
    for (const s of NUMBERS) {
      expect([s.name, rows[s.name].range]).toEqual([s.name, s.range])
      if (s.default == null) expect([s.name, rows[s.name].def]).toEqual([s.name, expect.stringMatching(/^auto: /)])
      else expect([s.name, rows[s.name].def]).toEqual([s.name, `\`${s.default}\``])
    }
  })

  test('lib/growth.d.ts: each option documents its default and range', () => {
    const dts = fs.readFileSync(path.join(ROOT, 'lib', 'growth.d.ts'), 'utf8')
    const body = dts.slice(dts.indexOf('export interface GrowthOptions {'), dts.indexOf('export interface GrowthSample {'))
    const doc = (name) => {
      const m = new RegExp(`/\\*\\*((?:(?!\\*/)[\\s\\S])*)\\*/\\s*${name}\\?:`).exec(body)
      return m && m[1].replace(/\s*\n\s*\*\s*/g, ' ')
    }
    expect([...body.matchAll(/^ {2}(\w+)\?:/mg)].map((m) => m[1])).toEqual(NUMBERS.map((s) => s.name))
    for (const s of NUMBERS) {
      expect([s.name, doc(s.name)]).toEqual([s.name, expect.stringContaining(s.range)])
      expect([s.name, doc(s.name)]).toEqual([s.name, expect.stringContaining(s.default == null ? 'Default: ' : `Default ${s.default}.`)])
    }
  })
})

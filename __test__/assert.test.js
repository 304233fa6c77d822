'use strict'
// The toLeak matcher, assertNoLeak and measureGrowth, in Jest's default node
// environment and without --expose-gc.
const fs = require('fs')
const os = require('os')
const path = require('path')
const { EventEmitter } = require('events')
const { matchers } = require('../jest')
const { measureGrowth, assertNoLeak } = require('../lib/growth')
const { LeakwatchError } = require('../lib/errors')

const gcBeforeUse = typeof globalThis.gc

// The planted leak: module-level state, as in a service.
const leakedSessions = []
let seq = 0
function handleLogin() {
  leakedSessions.push({ sessionId: `s-${seq++}`, user: 'ada' })
}

// The temporary directories the explanation makes, recorded as it makes
// them: other runs on the machine make theirs in the same os.tmpdir(), and
// Jest's sandbox cannot move it (os.tmpdir() reads the real process.env).
const explainDirs = []
const mkdtempSync = fs.mkdtempSync
jest.spyOn(fs, 'mkdtempSync').mockImplementation((prefix, ...rest) => {
  const made = mkdtempSync.call(fs, prefix, ...rest)
  if (path.basename(prefix).startsWith('leakwatch-assert-')) explainDirs.push(made)
  return made
})

async function failureOf(promise) {
  return promise.then(() => null, (err) => err)
}

describe('toLeak matcher', () => {
  test('needs no --expose-gc and registers on require', () => {
    expect(gcBeforeUse).toBe('undefined')
    expect(process.execArgv.join(' ')).not.toMatch(/expose[-_]gc/)
    expect(typeof matchers.toLeak).toBe('function')
    expect(typeof expect(() => {}).not.toLeak).toBe('function')
  })

  test('clean functions pass .not.toLeak()', async () => {
    const order = { id: 7, lines: [{ sku: 'a', qty: 2 }, { sku: 'b', qty: 1 }] }
    await expect(() => JSON.parse(JSON.stringify(order))).not.toLeak()
    await expect(async () => {
      await Promise.resolve(order).then((o) => o.lines.length).then((n) => ({ n }))
    }).not.toLeak()
    const side = new WeakMap()
    await expect(() => { const req = {}; side.set(req, { at: seq++ }) }).not.toLeak()
  })

  test("console.log into Jest's buffering console is not a leak", async () => {
    const { BufferedConsole } = require('@jest/console')
    const saved = globalThis.console
    const buffered = new BufferedConsole()
    globalThis.console = buffered
    try {
      await expect(() => { console.log('handled request', { id: seq++ }) }).not.toLeak()
    } finally {
      globalThis.console = saved
    }
    // Messages are formatted but not kept while measuring, and the console is restored.
    expect(buffered.getBuffer()).toBeUndefined()
    expect(globalThis.console).toBe(saved)
  })

  test('a cache that fills and then plateaus is not a leak', async () => {
    const lru = new Map()
    let n = 0
    await expect(() => {
      lru.set(n++, { n })
      if (lru.size > 3000) lru.delete(lru.keys().next().value)
    }).not.toLeak({ iterations: 500, warmup: 500 })
  })

  test('a leak fails .not.toLeak() naming the array and what it holds', async () => {
    // What is tested is the naming: a budget that three snapshots fit in even on
    // a loaded machine (one took 9 s there), below Jest's 120 s for the test.
    const err = await failureOf(expect(handleLogin).not.toLeak({ timeoutMs: 100000 }))
    expect(err).not.toBeNull()
    const msg = err.message
    expect(msg).toMatch(/Expected the function not to leak/)
    expect(msg).toMatch(/heap grows [\d.]+ B per iteration/)
    expect(msg).toMatch(/total growth [\d.]+ (KiB|MiB)/)
    expect(msg).toMatch(/confidence of growth/)
    // The culprit: constructor, count delta and the retaining path through the array.
    expect(msg).toMatch(/1\. Object: \+\d+ objects/)
    expect(msg).toMatch(/retained by: .*leakedSessions > \[\d+\] > Object\{sessionId,user\}/)
    expect(explainDirs.length).toBeGreaterThan(0)
    expect(explainDirs.filter((d) => fs.existsSync(d))).toEqual([])
  })

  test('.toLeak() passes on a leak and fails on clean code with the figures', async () => {
    const listeners = new EventEmitter()
    listeners.setMaxListeners(0)
    await expect(() => { listeners.on('data', () => seq++) }).toLeak()
    const err = await failureOf(expect(() => [1, 2, 3].map((x) => x * 2)).toLeak())
    expect(err.message).toMatch(/Expected the function to leak, but found no significant growth|within the budget/)
    expect(err.message).toMatch(/B per iteration/)
  })

  test('works under fake timers', async () => {
    jest.useFakeTimers()
    try {
      await expect(() => ({ a: 1 })).not.toLeak({ rounds: 6 })
    } finally {
      jest.useRealTimers()
    }
  })

  test('rejects a non-function and bad options', async () => {
    await expect(expect(42).not.toLeak()).rejects.toMatchObject({ code: 'ERR_LEAKWATCH_INVALID_OPTION', message: expect.stringMatching(/must be a function/) })
    await expect(expect(() => {}).not.toLeak({ rounds: 1 })).rejects.toMatchObject({ code: 'ERR_LEAKWATCH_INVALID_OPTION' })
  })
})

describe('assertNoLeak and measureGrowth', () => {
  test('assertNoLeak rejects with a LeakwatchError carrying the result; temp files are removed', async () => {
    const err = await failureOf(assertNoLeak(handleLogin, { timeoutMs: 100000 }))
    expect(err).toBeInstanceOf(LeakwatchError)
    expect(err.code).toBe('ERR_LEAKWATCH_LEAK_DETECTED')
    expect(err.result.leaking).toBe(true)
    expect(err.result.bytesPerIteration).toBeGreaterThan(err.result.budgetBytesPerIteration)
    expect(err.result.suspects[0].path).toContain('leakedSessions')
    expect(err.message).toContain('leakedSessions')
    expect(explainDirs.length).toBeGreaterThan(0)
    expect(explainDirs.filter((d) => fs.existsSync(d))).toEqual([])
  })

  test('measureGrowth resolves with the measurement on clean code', async () => {
    const r = await measureGrowth(() => 'x'.repeat(100) + seq, { iterations: 200, rounds: 8 })
    expect(r).toMatchObject({ leaking: false, iterations: 200, rounds: 8, totalIterations: 1600, suspects: [] })
    expect(r.samples).toHaveLength(9)
    expect(r.samples[8].iterations).toBe(1600)
    expect(Number.isFinite(r.bytesPerIteration)).toBe(true)
    expect(r.confidence).toBeGreaterThanOrEqual(0)
    expect(r.confidence).toBeLessThanOrEqual(1)
    const ok = await assertNoLeak(() => ({}), { rounds: 6 })
    expect(ok.leaking).toBe(false)
  })

  // Counted, not timed (a loaded machine stretches any clock): the default
  // assertion's work is bounded in calls, and every call is accounted for.
  test('the default assertion of a fast function is bounded in calls', async () => {
    let calls = 0
    const r = await assertNoLeak(() => { calls++; return JSON.stringify({ a: [1, 2, 3] }) })
    expect(r.rounds).toBe(10)
    expect(r.iterations).toBeLessThanOrEqual(1000)
    expect(r.totalIterations).toBe(r.rounds * r.iterations)
    expect(calls).toBeLessThanOrEqual(r.totalIterations + r.warmupIterations)
    expect(calls).toBeGreaterThanOrEqual(r.totalIterations)
  })

  test('options are validated with stable codes', async () => {
    const bad = [
      'fast', [], { iterations: 0 }, { iterations: 1.5 }, { rounds: 2 }, { rounds: 4, confidence: 0.9999 },
      { budgetBytesPerIteration: -1 }, { budgetBytesPerIteration: NaN }, { budgetBytesPerIteration: '64' },
      { confidence: 1 }, { confidence: 0.5 }, { warmup: -1 }, { timeoutMs: 0 }, { iteration: 10 },
    ]
    for (const opts of bad) {
      const err = await failureOf(measureGrowth(() => {}, opts))
      expect(err).toBeInstanceOf(LeakwatchError)
      expect(err.code).toBe('ERR_LEAKWATCH_INVALID_OPTION')
    }
    await expect(measureGrowth('not a function')).rejects.toMatchObject({ code: 'ERR_LEAKWATCH_INVALID_OPTION' })
    await expect(assertNoLeak(() => {}, { rounds: 0 })).rejects.toThrow(/invalid option rounds/)
  })

  test('timeoutMs bounds the measurement', async () => {
    const slow = () => { const t = Date.now(); while (Date.now() - t < 5) { /* busy */ } }
    await expect(measureGrowth(slow, { iterations: 40, timeoutMs: 150 })).rejects.toMatchObject({ code: 'ERR_LEAKWATCH_TIMEOUT' })
  })

  test("the function's errors propagate and the console is restored", async () => {
    const saved = globalThis.console.log
    await expect(measureGrowth(() => { throw new Error('handler failed') })).rejects.toThrow('handler failed')
    await expect(measureGrowth(async () => { throw new Error('async handler failed') })).rejects.toThrow('async handler failed')
    expect(globalThis.console.log).toBe(saved)
  })
})

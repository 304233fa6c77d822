'use strict'
// watch()'s options have one schema, in Rust (src/watch/options.rs), read
// here through the binding (issue 13). These tests fail when a twin comes
// back: a range or default of its own in the JS (the public watch() must take
// exactly what the schema takes, and default to what it says), or in the
// README's table or lib/watchdog.d.ts (they must state the schema's).
const fs = require('fs')
const path = require('path')
const leakwatch = require('..')
const { SCHEMA } = require('../lib/watch-options')

const ROOT = path.join(__dirname, '..')
const NUMBERS = SCHEMA.numbers

/** The range as the docs write it: `in [10, 2147483647]`, `> 0 and >= 4 x intervalMs`. */
function rangeText(s) {
  const integer = s.integer ? 'integer ' : ''
  let text
  if (s.min != null && s.max != null) {
    text = `${integer}in ${s.minInclusive ? '[' : '('}${s.min}, ${s.max}${s.maxInclusive ? ']' : ')'}`
  } else {
    text = `${integer}${s.minInclusive ? '>=' : '>'} ${s.min}`
  }
  return s.minIntervals ? `${text} and >= ${s.minIntervals} x intervalMs` : text
}

/** `opts` plus what the options depending on intervalMs need to stay consistent with it. */
function consistent(opts) {
  const interval = opts.intervalMs ?? SCHEMA.numbers.find((s) => s.name === 'intervalMs').default
  const out = { ...opts }
  for (const s of NUMBERS) {
    if (s.minIntervals && out[s.name] === undefined) out[s.name] = Math.max(s.default, s.minIntervals * interval)
  }
  return out
}

function outcome(opts) {
  try {
    const dog = leakwatch.watch(consistent(opts))
    const options = dog.options
    dog.stop()
    return { ok: true, options }
  } catch (err) {
    return { ok: false, code: err.code, message: err.message }
  }
}

test('the schema is there: every scalar option, each number with a range', () => {
  expect(NUMBERS.map((s) => s.name)).toEqual(['intervalMs', 'windowMs', 'minGrowthBytesPerMin', 'confidence', 'warmupMs', 'urgentHorizonMs', 'snapshots'])
  for (const s of NUMBERS) expect(s.min).toEqual(expect.any(Number))
  expect([SCHEMA.forceGc, SCHEMA.cgroupRoot]).toEqual(['forceGc', 'cgroupRoot'])
})

describe('watch() takes exactly what the schema takes', () => {
  test('defaults: what the schema says', () => {
    const r = outcome({})
    expect(r.ok).toBe(true)
    for (const s of NUMBERS) expect([s.name, r.options[s.name]]).toEqual([s.name, s.default])
    expect(r.options.forceGc).toBe(SCHEMA.forceGcDefault)
  })

  test.each(NUMBERS.map((s) => [s.name, s]))('%s: each end of its range, and just past it', (name, s) => {
    const rejected = expect.objectContaining({ ok: false, code: 'ERR_LEAKWATCH_INVALID_OPTION', message: expect.stringContaining(name) })
    for (const [end, inclusive, dir] of [[s.min, s.minInclusive, -1], [s.max, s.maxInclusive, 1]]) {
      if (end == null) continue
      const at = outcome({ [name]: end })
      if (inclusive) expect(at).toMatchObject({ ok: true, options: { [name]: end } })
      else expect(at).toEqual(rejected)
      const past = s.integer ? end + dir : end + dir * Math.max(Math.abs(end), 1) * 1e-6
      expect(outcome({ [name]: past })).toEqual(rejected)
    }
    expect(outcome({ [name]: String(s.default) })).toEqual(rejected)
    expect(outcome({ [name]: NaN })).toEqual(rejected)
    if (s.integer) expect(outcome({ [name]: s.default + 0.5 })).toEqual(rejected)
  })

  test.each(NUMBERS.filter((s) => s.minIntervals).map((s) => [s.name, s]))('%s: at least its multiple of intervalMs', (name, s) => {
    const intervalMs = 1000
    expect(outcome({ intervalMs, [name]: s.minIntervals * intervalMs })).toMatchObject({ ok: true })
    expect(outcome({ intervalMs, [name]: s.minIntervals * intervalMs - 1 }))
      .toMatchObject({ ok: false, code: 'ERR_LEAKWATCH_INVALID_OPTION', message: expect.stringContaining(`${s.minIntervals} x intervalMs`) })
  })

  test('forceGc is a boolean; cgroupRoot a non-empty path; nothing is ignored silently', () => {
    expect(outcome({ forceGc: false })).toMatchObject({ ok: true, options: { forceGc: false } })
    for (const bad of [{ forceGc: 1 }, { cgroupRoot: '' }, { cgroupRoot: 'a\0b' }, { cgroupRoot: 7 }]) {
      expect(outcome(bad)).toMatchObject({ ok: false, code: 'ERR_LEAKWATCH_INVALID_OPTION', message: expect.stringContaining(Object.keys(bad)[0]) })
    }
    expect(outcome({ windowMS: 60000 })).toMatchObject({ ok: false, message: expect.stringContaining('did you mean `windowMs`?') })
  })

  test('the addon itself refuses what the schema refuses, whoever calls it', () => {
    const native = require('../lib/native')
    const options = { ...leakwatch.watch().options }
    expect(() => new native.NativeWatchdog({ ...options, intervalMs: 5 }, 0))
      .toThrow(expect.objectContaining({ code: 'ERR_LEAKWATCH_INVALID_OPTION', message: expect.stringContaining('intervalMs') }))
    expect(() => new native.NativeWatchdog({ ...options, cgroupRoot: '' }, 0))
      .toThrow(expect.objectContaining({ code: 'ERR_LEAKWATCH_INVALID_OPTION' }))
  })
})

describe('the docs state the schema', () => {
  test("README's options table: every option, its default and its range", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
    const start = readme.indexOf('| option |', readme.indexOf('**Options**', readme.indexOf('### Watchdog')))
    const table = readme.slice(start, readme.indexOf('\n\n', start))
    const rows = Object.fromEntries([...table.matchAll(/^\| `(\w+)` \| ([^|]+?) \| ([^|]+?) \|/mg)].map((m) => [m[1], { def: m[2].replace(/^`(.*)`$/, '$1'), range: m[3] }]))
    for (const s of NUMBERS) expect([s.name, rows[s.name]]).toEqual([s.name, { def: String(s.default), range: rangeText(s) }])
    expect(rows.forceGc).toEqual({ def: String(SCHEMA.forceGcDefault), range: 'boolean' })
    expect(rows.cgroupRoot.range).toBe('a non-empty path')
  })

  test('lib/watchdog.d.ts: each option documents its default and range', () => {
    const dts = fs.readFileSync(path.join(ROOT, 'lib', 'watchdog.d.ts'), 'utf8')
    const body = dts.slice(dts.indexOf('export interface WatchOptions {'))
    for (const s of NUMBERS) {
      const m = new RegExp(`/\\*\\*((?:(?!\\*/)[\\s\\S])*)\\*/\\s*${s.name}\\?:`).exec(body)
      expect([s.name, m && m[1].replace(/\s*\n\s*\*\s*/g, ' ')]).toEqual([s.name, expect.stringContaining(`Default ${s.default}`)])
      expect([s.name, m[1].replace(/\s*\n\s*\*\s*/g, ' ')]).toEqual([s.name, expect.stringContaining(rangeText(s))])
    }
    expect(body).toMatch(new RegExp(`Default ${SCHEMA.forceGcDefault}\\. \\*/\\s*forceGc\\?: boolean`))
  })
})

'use strict'
// watch()'s options have one schema, in Rust (src/watch/options.rs), read
// here through the binding (issue 13). These tests fail when a twin comes
// back: a range or default of its own in the JS (the public watch() must take
// exactly what the schema takes, and default to what it says), or in the
// README's tables or the .d.ts files (they must state the schema's, in the
// text the schema gives: src/range.rs). heapProfile's options and the
// standalone SamplingProfiler's interval are in the same schema.
const fs = require('fs')
const path = require('path')
const leakwatch = require('..')
const { SCHEMA } = require('../lib/watch-options')

const ROOT = path.join(__dirname, '..')
const NUMBERS = SCHEMA.numbers
const HEAP_PROFILE = SCHEMA.heapProfile
const PROFILER_INTERVAL = SCHEMA.profilerSamplingIntervalBytes
const INVALID = 'ERR_LEAKWATCH_INVALID_OPTION'

/** `opts` plus what the options depending on intervalMs need to stay consistent with it. */
function consistent(opts) {
  const interval = opts.intervalMs ?? SCHEMA.numbers.find((s) => s.name === 'intervalMs').default
  const out = { ...opts }
  for (const s of NUMBERS) {
    if (s.minIntervals && out[s.name] === undefined) out[s.name] = Math.max(s.default, s.minIntervals * interval)
  }
  return out
}

/**
 * `check(v)` takes each end of `s`'s range when the end is inclusive, and
 * refuses it otherwise, just past it, a string, NaN, and a fraction for an
 * integer; `value(options)` is what was taken. Errors name `name`.
 */
function expectEnds(s, name, check, value) {
  const rejected = expect.objectContaining({ ok: false, code: INVALID, message: expect.stringContaining(name) })
  for (const [end, inclusive, dir] of [[s.min, s.minInclusive, -1], [s.max, s.maxInclusive, 1]]) {
    if (end == null) continue
    const at = check(end)
    if (inclusive) expect([end, at.ok && value(at.options)]).toEqual([end, end])
    else expect([end, at]).toEqual([end, rejected])
    const past = s.integer ? end + dir : end + dir * Math.max(Math.abs(end), 1) * 1e-6
    expect([past, check(past)]).toEqual([past, rejected])
  }
  for (const bad of [String(s.default), NaN, ...(s.integer ? [s.default + 0.5] : [])]) {
    expect([bad, check(bad)]).toEqual([bad, rejected])
  }
  // One message style for every range: the schema's text of it.
  if (s.min != null) expect(check(s.minInclusive ? s.min - 1 : s.min).message).toContain(`: expected a${s.integer ? 'n' : ' number'} ${s.range.replace(/ and >= .*$/, '')}, got `)
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
    const { DEFAULTS } = require('../lib/watch-options')
    expect(DEFAULTS).toMatchObject({ ...Object.fromEntries(NUMBERS.map((s) => [s.name, s.default])), heapProfile: r.options.heapProfile })
  })

  test.each(NUMBERS.map((s) => [s.name, s]))('%s: each end of its range, and just past it', (name, s) => {
    expectEnds(s, name, (v) => outcome({ [name]: v }), (o) => o[name])
  })

  test.each(HEAP_PROFILE.numbers.map((s) => [s.name, s]))('heapProfile.%s: its default, each end of its range, and just past it', (name, s) => {
    const key = `${HEAP_PROFILE.name}.${name}`
    expect(outcome({}).options.heapProfile[name]).toBe(s.default)
    expectEnds(s, key, (v) => outcome({ heapProfile: { [name]: v } }), (o) => o.heapProfile[name])
  })

  test('heapProfile.when: its default follows snapshots; a name of the schema or refused', () => {
    expect(outcome({}).options.heapProfile.when).toBe(HEAP_PROFILE.whens[HEAP_PROFILE.whens.length - 1])
    expect(outcome({ snapshots: 1 }).options.heapProfile.when).toBe(HEAP_PROFILE.whens[0])
    for (const when of HEAP_PROFILE.whens) expect(outcome({ heapProfile: { when } })).toMatchObject({ ok: true, options: { heapProfile: { when } } })
    for (const bad of ['sometimes', 1]) {
      expect(outcome({ heapProfile: { when: bad } })).toMatchObject({ ok: false, code: INVALID, message: expect.stringContaining('heapProfile.when') })
    }
    expect(outcome({ heapProfile: { saveEvery: 1000 } })).toMatchObject({ ok: false, message: expect.stringContaining('did you mean `saveEveryMs`?') })
    // A wrong type is named under heapProfile too, in the same style as a range.
    expect(outcome({ heapProfile: { saveEveryMs: '5' } })).toMatchObject({ ok: false, code: INVALID, message: 'invalid option heapProfile.saveEveryMs: expected a number, got "5"' })
  })

  test("the standalone SamplingProfiler's interval: its default, each end, and just past it", () => {
    const { SamplingProfiler, DEFAULT_SAMPLING_INTERVAL_BYTES } = require('../lib/sampling-profiler')
    const make = (v) => {
      try {
        return { ok: true, options: new SamplingProfiler(v === undefined ? undefined : { samplingIntervalBytes: v }).options }
      } catch (err) {
        return { ok: false, code: err.code, message: err.message }
      }
    }
    expect(make().options.samplingIntervalBytes).toBe(PROFILER_INTERVAL.default)
    expect(DEFAULT_SAMPLING_INTERVAL_BYTES).toBe(PROFILER_INTERVAL.default)
    // One default for the watchdog's profile and the standalone one.
    expect(PROFILER_INTERVAL.default).toBe(HEAP_PROFILE.numbers.find((s) => s.name === PROFILER_INTERVAL.name).default)
    expectEnds(PROFILER_INTERVAL, PROFILER_INTERVAL.name, make, (o) => o.samplingIntervalBytes)
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

/** The README's first options table after `from`: `{ name: { def, range } }`, a lone `default` unquoted. */
function table(readme, from) {
  const start = readme.indexOf('| option |', from)
  const text = readme.slice(start, readme.indexOf('\n\n', start))
  return Object.fromEntries([...text.matchAll(/^\| `(\w+)` \| ([^|]+?) \| ([^|]+?) \|/mg)].map((m) => [m[1], { def: m[2].replace(/^`([^`]*)`$/, '$1'), range: m[3] }]))
}

describe('the docs state the schema', () => {
  test("README's options table: every option, its default and its range", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
    const rows = table(readme, readme.indexOf('**Options**', readme.indexOf('### Watchdog')))
    for (const s of NUMBERS) expect([s.name, rows[s.name]]).toEqual([s.name, { def: String(s.default), range: s.range }])
    expect(rows.forceGc).toEqual({ def: String(SCHEMA.forceGcDefault), range: 'boolean' })
    expect(rows.cgroupRoot.range).toBe('a non-empty path')
  })

  test('lib/watchdog.d.ts: each option documents its default and range', () => {
    const dts = fs.readFileSync(path.join(ROOT, 'lib', 'watchdog.d.ts'), 'utf8')
    const body = dts.slice(dts.indexOf('export interface WatchOptions {'))
    for (const s of NUMBERS) {
      const m = new RegExp(`/\\*\\*((?:(?!\\*/)[\\s\\S])*)\\*/\\s*${s.name}\\?:`).exec(body)
      expect([s.name, m && m[1].replace(/\s*\n\s*\*\s*/g, ' ')]).toEqual([s.name, expect.stringContaining(`Default ${s.default}`)])
      expect([s.name, m[1].replace(/\s*\n\s*\*\s*/g, ' ')]).toEqual([s.name, expect.stringContaining(s.range)])
    }
    expect(body).toMatch(new RegExp(`Default ${SCHEMA.forceGcDefault}\\. \\*/\\s*forceGc\\?: boolean`))
  })

  test("README's heapProfile and SamplingProfiler tables: every option, its default and its range", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
    const evidence = readme.indexOf('### Evidence before an OOM')
    const hp = table(readme, readme.indexOf('**`heapProfile` options**', evidence))
    expect(Object.keys(hp)).toEqual([HEAP_PROFILE.when, ...HEAP_PROFILE.numbers.map((s) => s.name)])
    for (const s of HEAP_PROFILE.numbers) expect([s.name, hp[s.name]]).toEqual([s.name, { def: String(s.default), range: s.range }])
    expect(hp.when).toEqual({
      def: `\`'${HEAP_PROFILE.whens[0]}'\` if \`snapshots > 0\`, else \`'${HEAP_PROFILE.whens[HEAP_PROFILE.whens.length - 1]}'\``,
      range: HEAP_PROFILE.whens.map((w) => `\`'${w}'\``).join(', ').replace(/, ([^,]*)$/, ' or $1'),
    })
    const prof = table(readme, readme.indexOf('The profiler is also usable on its own', evidence))
    expect(prof).toEqual({ [PROFILER_INTERVAL.name]: { def: String(PROFILER_INTERVAL.default), range: PROFILER_INTERVAL.range } })
  })

  test("the .d.ts files: heapProfile's and SamplingProfiler's options document their default and range", () => {
    const doc = (file, iface, name) => {
      const dts = fs.readFileSync(path.join(ROOT, 'lib', file), 'utf8')
      const body = dts.slice(dts.indexOf(`export interface ${iface} {`))
      const m = new RegExp(`/\\*\\*((?:(?!\\*/)[\\s\\S])*)\\*/\\s*${name}\\?:`).exec(body)
      return m && m[1].replace(/\s*\n\s*\*\s*/g, ' ')
    }
    for (const s of HEAP_PROFILE.numbers) {
      expect([s.name, doc('watchdog.d.ts', 'HeapProfileOptions', s.name)]).toEqual([s.name, expect.stringContaining(`Default ${s.default}`)])
      expect([s.name, doc('watchdog.d.ts', 'HeapProfileOptions', s.name)]).toEqual([s.name, expect.stringContaining(s.range)])
    }
    const s = PROFILER_INTERVAL
    expect(doc('sampling-profiler.d.ts', 'SamplingProfilerOptions', s.name)).toEqual(expect.stringContaining(`Default ${s.default}`))
    expect(doc('sampling-profiler.d.ts', 'SamplingProfilerOptions', s.name)).toEqual(expect.stringContaining(s.range))
  })
})

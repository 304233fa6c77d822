'use strict'
// analyze() options have one schema, in Rust (src/heap/options.rs), read here
// through the binding (issue 13). These tests fail when a twin comes back: a
// range or default of its own in lib/analyze.js, a clamp in the addon, or a
// README table / lib/analyze.d.ts that states another. Options are checked
// before any file is read: a value the schema takes is seen reaching the file
// (a missing one, ERR_LEAKWATCH_IO), a refused one never does.
const fs = require('fs')
const path = require('path')
const { execFileSync } = require('child_process')
const { analyze } = require('..')
const native = require('../lib/native')
const { tempDir } = require('./helpers')

const ROOT = path.join(__dirname, '..')
const SCHEMA = native.analyzeOptionSchema()
const NUMBERS = SCHEMA.numbers
const INVALID = 'ERR_LEAKWATCH_INVALID_OPTION'
const MISSING = path.join(ROOT, 'no-such-dir', 'a.heapsnapshot')

const taken = (opts) => expect(analyze(MISSING, opts)).rejects.toMatchObject({ code: 'ERR_LEAKWATCH_IO' })
const refused = (opts, name, message = expect.stringMatching(new RegExp(`^invalid option ${name}: `))) =>
  expect(analyze(MISSING, opts)).rejects.toMatchObject({ code: INVALID, message })

test('the schema is there: every option analyze() takes', () => {
  expect(NUMBERS.map((s) => s.name)).toEqual(['minRetainedDelta', 'minCountDelta', 'maxSuspects', 'topClasses'])
  expect(SCHEMA.booleans).toEqual([{ name: 'singleSuspects', default: false }])
  expect([SCHEMA.profiles, SCHEMA.maxProfiles]).toEqual(['profiles', 3])
  // Left out: the schema's default, whatever the caller.
  expect(native.analyzeOptions({})).toMatchObject({
    ...Object.fromEntries(NUMBERS.map((s) => [s.name, s.default])), singleSuspects: false,
  })
})

describe('analyze() takes exactly what the schema takes', () => {
  test.each(NUMBERS.map((s) => [s.name, s]))('%s: each end of its range, and just past it', async (name, s) => {
    await taken({ [name]: s.min })
    await taken({ [name]: s.max })
    for (const bad of [s.min - 1, s.max + 1, s.min + 0.5, NaN, Infinity, String(s.min)]) await refused({ [name]: bad }, name)
    // The message states the range in the docs' words (src/range.rs).
    await refused({ [name]: s.max + 1 }, name, `invalid option ${name}: expected an ${s.range}, got ${s.max + 1}`)
  })

  test('singleSuspects, profiles, unknown names, non-objects', async () => {
    await taken({ singleSuspects: true, profiles: false })
    await taken({ profiles: ['a.heapprofile', 'b.heapprofile', 'c.heapprofile'] })
    await refused({ singleSuspects: 'yes' }, 'singleSuspects')
    await refused({ profiles: ['a', 'b', 'c', 'd'] }, 'profiles', 'invalid option profiles: expected at most 3 .heapprofile paths, oldest first, got 4')
    for (const bad of ['a.heapprofile', [''], [1], null]) await refused({ profiles: bad }, 'profiles')
    await refused({ minRetained: 1 }, 'minRetained', expect.stringContaining('did you mean `minRetainedDelta`?'))
    await refused(5, 'options', 'invalid option options: expected an object')
  })

  test('the addon itself refuses what the schema refuses, never clamps', async () => {
    for (const [name, bad] of [['minRetainedDelta', -1], ['minCountDelta', NaN], ['maxSuspects', 1.5], ['topClasses', -1]]) {
      await expect(native.analyzeSnapshots([MISSING], { [name]: bad })).rejects.toMatchObject({ code: INVALID, message: expect.stringContaining(name) })
    }
    await expect(native.analyzeSnapshots([MISSING], { profiles: ['a', 'b', 'c', 'd'] })).rejects.toMatchObject({ code: INVALID })
  })

  test('a real snapshot: topClasses at its default and at its low end', async () => {
    const file = path.join(tempDir('analyze-options'), 'small.heapsnapshot')
    execFileSync(process.execPath, ['-e', `require('v8').writeHeapSnapshot(${JSON.stringify(file)})`])
    const top = NUMBERS.find((s) => s.name === 'topClasses')
    expect((await analyze(file)).summary.topClasses).toHaveLength(top.default)
    expect((await analyze(file, { topClasses: top.min })).summary.topClasses).toHaveLength(0)
  }, 60000)
})

describe('the docs state the schema', () => {
  test("README's analyze() table: every option, its default and its range", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
    const start = readme.indexOf('| option |', readme.indexOf('### Analyzer: `analyze(files, opts?)'))
    const table = readme.slice(start, readme.indexOf('\n\n', start))
    const rows = Object.fromEntries([...table.matchAll(/^\| `(\w+)` \| ([^|]+?) \| ([^|]+?) \|/mg)].map((m) => [m[1], { def: m[2], range: m[3] }]))
    expect(Object.keys(rows)).toEqual([...NUMBERS.map((s) => s.name), ...SCHEMA.booleans.map((b) => b.name), SCHEMA.profiles])
    for (const s of NUMBERS) expect([s.name, rows[s.name]]).toEqual([s.name, { def: `\`${s.default}\``, range: s.range }])
    for (const b of SCHEMA.booleans) expect([b.name, rows[b.name]]).toEqual([b.name, { def: `\`${b.default}\``, range: 'boolean' }])
    expect(rows.profiles.range).toBe(`\`false\` or up to ${SCHEMA.maxProfiles} paths, oldest first`)
  })

  test('`leakwatch --help`: the CLI flags state the schema\'s defaults', () => {
    const help = execFileSync(process.execPath, [path.join(ROOT, 'bin', 'leakwatch.js'), '--help'], { encoding: 'utf8' })
    const flags = { minRetainedDelta: 'min-retained', minCountDelta: 'min-count', maxSuspects: 'max-suspects', topClasses: 'top-classes' }
    for (const s of NUMBERS) {
      expect([s.name, help]).toEqual([s.name, expect.stringMatching(new RegExp(`--${flags[s.name]} .*\\(default ${s.default}\\b`))])
    }
  })

  test('lib/analyze.d.ts: each option documents its default and range', () => {
    const dts = fs.readFileSync(path.join(ROOT, 'lib', 'analyze.d.ts'), 'utf8')
    const body = dts.slice(dts.indexOf('export interface AnalyzeOptions {'))
    const doc = (name) => {
      const m = new RegExp(`/\\*\\*((?:(?!\\*/)[\\s\\S])*)\\*/\\s*${name}\\?:`).exec(body)
      return m && m[1].replace(/\s*\n\s*\*\s*/g, ' ')
    }
    expect([...body.slice(0, body.indexOf('\n}')).matchAll(/^ {2}(\w+)\?:/mg)].map((m) => m[1]))
      .toEqual([...NUMBERS.map((s) => s.name), ...SCHEMA.booleans.map((b) => b.name), SCHEMA.profiles])
    for (const s of NUMBERS) {
      expect([s.name, doc(s.name)]).toEqual([s.name, expect.stringContaining(s.range)])
      expect([s.name, doc(s.name)]).toEqual([s.name, expect.stringContaining(`Default ${s.default}.`)])
    }
    for (const b of SCHEMA.booleans) expect([b.name, doc(b.name)]).toEqual([b.name, expect.stringContaining(`Default ${b.default}.`)])
    expect(doc(SCHEMA.profiles)).toContain(`up to ${SCHEMA.maxProfiles}`)
  })
})

'use strict'
// The capture options have one schema, in Rust (src/capture/options.rs), read
// here through the binding (issue 13). These tests fail when a twin comes
// back: a range or default of its own in the JS (the public API must take
// exactly what the schema takes, and default to what it says), a clamp in the
// addon, or a README table / index.d.ts that states something else.
const fs = require('fs')
const path = require('path')
const leakwatch = require('..')
const native = require('../lib/native')
const { CAPTURE_SCHEMA: SCHEMA } = require('../lib/options')
const { tempDir, listDir } = require('./helpers')

const ROOT = path.join(__dirname, '..')
const NUMBERS = SCHEMA.numbers
const INVALID = 'ERR_LEAKWATCH_INVALID_OPTION'

/** What the public API makes of `opts`: the resolved options, or the error. */
function outcome(opts) {
  try {
    const dog = leakwatch.watch({ snapshot: opts })
    dog.stop()
    return { ok: true, options: dog.options.snapshot }
  } catch (err) {
    return { ok: false, code: err.code, message: err.message }
  }
}

const refused = (name) => ({ ok: false, code: INVALID, message: expect.stringContaining(`snapshot.${name}`) })

test('the schema is there: every option the capture takes', () => {
  expect(NUMBERS.map((s) => s.name)).toEqual(['gzipLevel', 'timeoutMs', 'maxFiles', 'maxBytes', 'hangMs', 'forkAttempts'])
  expect(SCHEMA.booleans.map((s) => s.name)).toEqual(['checkHeadroom', 'redact'])
  expect([SCHEMA.dir, SCHEMA.mode, SCHEMA.label, SCHEMA.cgroupRoot]).toEqual(['dir', 'mode', 'label', 'cgroupRoot'])
  expect(SCHEMA.modes).toEqual(['auto', 'fork', 'inline'])
})

describe('the public API takes exactly what the schema takes', () => {
  test('defaults: what the schema says', () => {
    const r = outcome({})
    expect(r.ok).toBe(true)
    for (const s of NUMBERS) expect([s.name, r.options[s.name]]).toEqual([s.name, s.default ?? undefined])
    for (const s of SCHEMA.booleans) expect([s.name, r.options[s.name]]).toEqual([s.name, s.default])
    expect(r.options).toMatchObject({ mode: SCHEMA.modes[0], dir: leakwatch.defaultDir() })
  })

  test.each(NUMBERS.map((s) => [s.name, s]))('%s: each end of its range, and just past it', (name, s) => {
    expect(outcome({ [name]: s.min })).toMatchObject({ ok: true, options: { [name]: s.min } })
    expect(outcome({ [name]: s.max })).toMatchObject({ ok: true, options: { [name]: s.max } })
    for (const bad of [s.min - 1, s.max + 1, s.min + 0.5, NaN, Infinity, String(s.min)]) {
      expect([bad, outcome({ [name]: bad })]).toEqual([bad, refused(name)])
    }
    // The message states the range in the docs' words (src/range.rs).
    expect(outcome({ [name]: s.max + 1 }).message).toBe(`invalid option snapshot.${name}: expected an ${s.range}, got ${s.max + 1}`)
  })

  test('strings and booleans: checked, never ignored', () => {
    expect(outcome({ label: 'x'.repeat(SCHEMA.labelMaxLength) })).toMatchObject({ ok: true })
    expect(outcome({ checkHeadroom: false, redact: true })).toMatchObject({ ok: true, options: { checkHeadroom: false, redact: true } })
    for (const mode of SCHEMA.modes) expect(outcome({ mode })).toMatchObject({ ok: true, options: { mode } })
    const bad = [
      ['label', 'x'.repeat(SCHEMA.labelMaxLength + 1)], ['label', 7], ['mode', 'thread'], ['mode', 1],
      ['dir', ''], ['dir', 'a\0b'], ['dir', 5], ['cgroupRoot', ''], ['cgroupRoot', 'a\0b'],
      ['checkHeadroom', 'yes'], ['redact', 1],
    ]
    for (const [name, v] of bad) expect([name, v, outcome({ [name]: v })]).toEqual([name, v, refused(name)])
    expect(outcome({ directory: '/tmp' })).toMatchObject({ ok: false, message: expect.stringContaining('did you mean `dir`?') })
  })

  test('dir is made absolute as path.resolve does; the default follows LEAKWATCH_DIR', () => {
    expect(outcome({ dir: './a//b/../c/' }).options.dir).toBe(path.resolve('./a//b/../c/'))
    const before = process.env.LEAKWATCH_DIR
    try {
      process.env.LEAKWATCH_DIR = 'dumps'
      expect(outcome({}).options.dir).toBe(path.resolve('dumps'))
      expect(leakwatch.defaultDir()).toBe(path.resolve('dumps'))
    } finally {
      if (before === undefined) delete process.env.LEAKWATCH_DIR
      else process.env.LEAKWATCH_DIR = before
    }
  })

  test('snapshot() and onSignal() refuse by the same schema', async () => {
    await expect(leakwatch.snapshot({ hangMs: 99 })).rejects.toMatchObject({ code: INVALID, message: expect.stringMatching(/^invalid option hangMs: /) })
    expect(() => leakwatch.onSignal('SIGUSR2', { forkAttempts: 11 })).toThrow(expect.objectContaining({ code: INVALID }))
    expect(process.listenerCount('SIGUSR2')).toBe(0)
  })

  test("onSignal()'s signal: the schema's default, refused when forbidden or unknown", () => {
    const h = leakwatch.onSignal()
    h.close()
    expect(h.signal).toBe(SCHEMA.signalDefault)
    for (const sig of [...SCHEMA.forbiddenSignals, 'SIGNOPE', 5]) {
      expect(() => leakwatch.onSignal(sig)).toThrow(expect.objectContaining({ code: INVALID, message: expect.stringMatching(/^invalid option signal: /) }))
    }
    expect(process.listenerCount(SCHEMA.signalDefault)).toBe(0)
  })

  test('a snapshot at the ends of the ranges is taken with them', async () => {
    const dir = tempDir('schema-ends')
    const label = 'y'.repeat(SCHEMA.labelMaxLength)
    const info = await leakwatch.snapshot({ dir, mode: 'inline', gzipLevel: 0, maxFiles: 1, maxBytes: 1, label })
    expect(listDir(dir)).toEqual([path.basename(info.path)])
    expect(path.basename(info.path)).toContain(`-${label}.heapsnapshot.gz`)
    expect(info.rawBytes).toBeGreaterThan(0)
  })

  test('the addon itself refuses what the schema refuses, whoever calls it', () => {
    const dir = tempDir('schema-native')
    const figures = { heapUsed: 1, heapTotal: 1, forked: false }
    const throws = (fn, name) => expect(fn).toThrow(expect.objectContaining({ code: INVALID, message: expect.stringContaining(name) }))
    throws(() => native.beginCapture({ dir, gzipLevel: 12 }, figures), 'gzipLevel')
    throws(() => native.beginCapture({ dir, maxFiles: 0.5 }, figures), 'maxFiles')
    throws(() => native.beginCapture({ dir }, { ...figures, reserveBytes: -1 }), 'reserveBytes')
    throws(() => native.beginCapture({ dir }, { ...figures, heapUsed: NaN }), 'heapUsed')
    throws(() => native.redactSnapshotFile(path.join(dir, 'in'), path.join(dir, 'out'), 10), 'gzipLevel')
    expect(listDir(dir)).toEqual([])
  })
})

describe('the docs state the schema', () => {
  test("README's snapshot() table: every option, its default and its range", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
    const start = readme.indexOf('| option |', readme.indexOf('### `snapshot(opts?)'))
    const table = readme.slice(start, readme.indexOf('\n\n', start))
    const rows = Object.fromEntries([...table.matchAll(/^\| `(\w+)` \| ([^|]+?) \| ([^|]+?) \|/mg)].map((m) => [m[1], { def: m[2], range: m[3] }]))
    const names = [SCHEMA.dir, SCHEMA.mode, ...NUMBERS.map((s) => s.name), SCHEMA.label, ...SCHEMA.booleans.map((s) => s.name), SCHEMA.cgroupRoot]
    expect(Object.keys(rows).sort()).toEqual(names.sort())
    for (const s of NUMBERS) expect([s.name, rows[s.name]]).toEqual([s.name, { def: s.default == null ? 'none' : `\`${s.default}\``, range: s.range }])
    for (const s of SCHEMA.booleans) expect([s.name, rows[s.name]]).toEqual([s.name, { def: `\`${s.default}\``, range: 'boolean' }])
    expect(rows.mode).toEqual({ def: `\`'${SCHEMA.modes[0]}'\``, range: SCHEMA.modes.map((m) => `\`'${m}'\``).join(', ').replace(/, ([^,]*)$/, ' or $1') })
    expect(rows.label).toEqual({ def: 'none', range: `up to ${SCHEMA.labelMaxLength} characters` })
    expect(rows.dir).toEqual({ def: `\`$${SCHEMA.dirEnv}\`, else \`<os.tmpdir()>/leakwatch\``, range: 'a non-empty path' })
    expect(rows.cgroupRoot.range).toBe('a non-empty path')
    expect(readme).toContain(`### \`onSignal(signal = '${SCHEMA.signalDefault}', opts?)`)
  })

  test('index.d.ts: each option documents its default and range', () => {
    const dts = fs.readFileSync(path.join(ROOT, 'index.d.ts'), 'utf8')
    const body = dts.slice(dts.indexOf('export interface SnapshotOptions {'), dts.indexOf('export interface SnapshotInfo {'))
    const doc = (name) => {
      const m = new RegExp(`/\\*\\*((?:(?!\\*/)[\\s\\S])*)\\*/\\s*${name}\\?:`).exec(body)
      return m && m[1].replace(/\s*\n\s*\*\s*/g, ' ')
    }
    const names = [...body.matchAll(/^ {2}(\w+)\?:/mg)].map((m) => m[1])
    expect(names.sort()).toEqual(Object.keys(require('../lib/options').CAPTURE_TYPES).sort())
    for (const s of NUMBERS) {
      expect([s.name, doc(s.name)]).toEqual([s.name, expect.stringContaining(s.range)])
      expect([s.name, doc(s.name)]).toEqual([s.name, expect.stringContaining(s.default == null ? 'No default.' : `Default ${s.default}.`)])
    }
    for (const s of SCHEMA.booleans) expect([s.name, doc(s.name)]).toEqual([s.name, expect.stringContaining(`Default ${s.default}.`)])
    expect(doc('mode')).toContain(`Default '${SCHEMA.modes[0]}'.`)
    expect(doc('dir')).toContain(`Default \`$${SCHEMA.dirEnv}\`, else \`<os.tmpdir()>/leakwatch\``)
    expect(dts).toContain(`Takes a snapshot on each \`signal\` (default ${SCHEMA.signalDefault})`)
    expect(dts).toMatch(new RegExp(`export type CaptureMode = ${SCHEMA.modes.map((m) => `'${m}'`).join(' \\| ')}\\n`))
  })
})

describe('a snapshot directory wrong at setup fails there, not at the first leak', () => {
  const NOT_WRITABLE = 'ERR_LEAKWATCH_DIR_NOT_WRITABLE'
  const codeOf = (fn) => { try { fn(); return null } catch (err) { return err.code } }

  test('watch(), onSignal() and the router refuse a file or /proc in place of the directory', () => {
    const root = tempDir('setup-dir')
    const file = path.join(root, 'a-file')
    fs.writeFileSync(file, 'x')
    for (const dir of [file, path.join(file, 'under'), '/proc/self']) {
      expect(codeOf(() => leakwatch.watch({ snapshots: 3, snapshot: { dir } }).stop())).toBe(NOT_WRITABLE)
      expect(codeOf(() => leakwatch.onSignal('SIGUSR2', { dir }).close())).toBe(NOT_WRITABLE)
      expect(codeOf(() => leakwatch.express({ token: 'a-token-of-enough-length-0123456789', snapshot: { dir } }))).toBe(NOT_WRITABLE)
    }
    // A directory that is missing is made, 0700, as a capture makes it.
    const made = path.join(root, 'new', 'snaps')
    leakwatch.watch({ snapshots: 3, snapshot: { dir: made } }).stop()
    expect(fs.statSync(made).mode & 0o777).toBe(0o700)
    // Without snapshots or profiles nothing is written: nothing is checked.
    expect(codeOf(() => leakwatch.watch({ snapshots: 0, heapProfile: { when: 'never' }, snapshot: { dir: file } }).stop())).toBeNull()
  })
})

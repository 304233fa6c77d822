'use strict'
// Every code a source can emit is in the types (LeakwatchErrorCode) and in
// the README's table, and nothing stale is listed (issue 13).
const fs = require('fs')
const path = require('path')

const ROOT = path.join(__dirname, '..')
const CODE = /ERR_LEAKWATCH_[A-Z_]*[A-Z]/g

function files(dir, keep) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) return e.name === 'testdata' ? [] : files(p, keep)
    return keep(e.name) ? [p] : []
  })
}

/** Codes in shipped, non-test source: Rust before its `#[cfg(test)]` part, and the JS. */
function emitted() {
  const rust = files(path.join(ROOT, 'src'), (n) => n.endsWith('.rs') && !n.endsWith('_tests.rs') && n !== 'tests.rs')
    .map((f) => fs.readFileSync(f, 'utf8').split('#[cfg(test)]')[0])
  const js = [...files(path.join(ROOT, 'lib'), (n) => n.endsWith('.js')), ...files(path.join(ROOT, 'bin'), () => true),
    path.join(ROOT, 'index.js'), path.join(ROOT, 'jest.js')].map((f) => fs.readFileSync(f, 'utf8'))
  return new Set([...rust, ...js].flatMap((text) => text.match(CODE) || []))
}

const inTypes = () => {
  const d = fs.readFileSync(path.join(ROOT, 'index.d.ts'), 'utf8')
  const union = /export type LeakwatchErrorCode =([^;]*?)\n\n/.exec(d)
  return new Set(union[1].match(CODE))
}

const inReadme = () => {
  const rows = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').split('\n').filter((l) => /^\| `ERR_LEAKWATCH_/.test(l))
  return new Set(rows.map((l) => l.match(CODE)[0]))
}

const sorted = (s) => [...s].sort()

test('the sources emit codes, and the scan sees both languages', () => {
  const codes = emitted()
  expect(codes.has('ERR_LEAKWATCH_SNAPSHOT_PARSE')).toBe(true) // Rust
  expect(codes.has('ERR_LEAKWATCH_SINK_FAILED')).toBe(true) // JS
})

test('LeakwatchErrorCode lists exactly the codes the sources emit', () => {
  expect(sorted(inTypes())).toEqual(sorted(emitted()))
})

test("the README's error table lists exactly the codes the sources emit", () => {
  expect(sorted(inReadme())).toEqual(sorted(emitted()))
})

describe('codes a new user meets (issue 13)', () => {
  const leakwatch = require('..')
  const { writeHtml } = require('../lib/report-html')
  const { tempDir } = require('./helpers')

  test.each([
    ['a file where the directory should be', () => { const f = path.join(tempDir('codes'), 'f'); fs.writeFileSync(f, 'x'); return f }],
    ['a path under a file', () => { const f = path.join(tempDir('codes'), 'f'); fs.writeFileSync(f, 'x'); return path.join(f, 'sub') }],
    ['/proc/self', () => '/proc/self'],
    ['a directory that cannot be made in /proc', () => '/proc/self/snaps'],
  ])('dir: %s is ERR_LEAKWATCH_DIR_NOT_WRITABLE', async (_, dir) => {
    await expect(leakwatch.snapshot({ dir: dir(), mode: 'inline' }))
      .rejects.toMatchObject({ name: 'LeakwatchError', code: 'ERR_LEAKWATCH_DIR_NOT_WRITABLE' })
  })

  test('an HTML report into a missing directory is ERR_LEAKWATCH_DIR_NOT_WRITABLE, and leaves no file', () => {
    const report = { suspects: [], summary: { mode: 'single', snapshots: [], topClasses: [], survivors: [], belowThreshold: 0 }, toString: () => '' }
    const dir = tempDir('html')
    expect(() => writeHtml(path.join(dir, 'missing', 'r.html'), report))
      .toThrow(expect.objectContaining({ code: 'ERR_LEAKWATCH_DIR_NOT_WRITABLE' }))
    writeHtml(path.join(dir, 'r.html'), report)
    expect(fs.readdirSync(dir)).toEqual(['r.html'])
    expect(fs.statSync(path.join(dir, 'r.html')).mode & 0o777).toBe(0o600)
  })

  test('the addon sets code natively, for sync calls and async tasks alike', async () => {
    const native = require('../lib/native')
    const sync = (() => { try { native.renderReportText('{') } catch (e) { return e } })()
    expect(sync.code).toBe('ERR_LEAKWATCH_INVALID_OPTION')
    expect(sync.message).not.toMatch(/^ERR_/)
    const asyncErr = await native.analyzeSnapshots(['/nonexistent.heapsnapshot']).catch((e) => e)
    expect(asyncErr.code).toBe('ERR_LEAKWATCH_IO')
    expect(asyncErr.message).not.toMatch(/^ERR_/)
  })
})

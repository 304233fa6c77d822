'use strict'
// Fork and inline snapshots on every Node major we support, under allocation
// load (the full suites per version run with `npm run test:matrix`).
const path = require('path')
const { execFileSync } = require('child_process')
const { Host, tempDir, readSnapshot, zombiesOf } = require('./helpers')
const { nodeBinaries } = require('../scripts/node-versions')

const HOST = path.join(__dirname, 'fixtures', 'capture-host.js')
const PRETEND = path.join(__dirname, 'fixtures', 'pretend-node-major.js')
const binaries = nodeBinaries()

test('Node 22, 24 and 26 binaries are installed for the matrix', () => {
  expect(binaries.map((b) => b.name)).toEqual(expect.arrayContaining(['node22', 'node24', 'node26']))
})

describe("what mode 'auto' does", () => {
  const { forkPolicy } = require('../lib/capture')
  const linux = { platform: 'linux', arch: 'x64', initialThread: true }

  test('fork on the proven majors, a supervised trial on newer ones, inline elsewhere', () => {
    for (const major of [20, 22, 24, 26]) expect(forkPolicy({ ...linux, major })).toBe('proven')
    expect(forkPolicy({ ...linux, major: 27 })).toBe('trial')
    expect(forkPolicy({ ...linux, major: 28 })).toBe('trial')
    expect(forkPolicy({ ...linux, major: 18 })).toBe('inline')
    expect(forkPolicy({ ...linux, major: 26, arch: 'arm64' })).toBe('inline')
    expect(forkPolicy({ ...linux, major: 26, initialThread: false })).toBe('inline')
    expect(forkPolicy({ ...linux, major: 26, platform: 'darwin' })).toBe('inline')
  })

  test('on an unproven major a fork snapshot works, and a hanging child is reported instead of blocking the loop inline', async () => {
    const dir = tempDir('trial')
    const env = { PRETEND_NODE_MAJOR: '28', LW_OPTS: JSON.stringify({ dir }) }
    const h = new Host(HOST, env, { args: ['-r', PRETEND] })
    try {
      await h.waitFor((e) => e.event === 'ready')
      h.send({ op: 'snapshot', opts: { dir } })
      const ok = await h.waitFor((e) => e.event === 'snapshot-result' || e.event === 'snapshot-error', 60000)
      expect(ok).toMatchObject({ event: 'snapshot-result', info: { mode: 'fork' } })
      expect(readSnapshot(ok.info.path).snapshot.node_count).toBeGreaterThan(20000)
      h.send({ op: 'fault', fault: 'hang' })
      const from = h.events.length
      h.send({ op: 'snapshot', opts: { dir, hangMs: 300, forkAttempts: 2 } })
      const r = await h.waitFor((e) => e.event === 'snapshot-result' || e.event === 'snapshot-error', 60000, from)
      expect(r).toMatchObject({ event: 'snapshot-error', code: 'ERR_LEAKWATCH_CHILD_HUNG' })
      expect(r.message).toMatch(/not proven yet.*mode "inline"/)
      expect(h.stderr).toMatch(/LEAKWATCH_FORK_TRIAL/)
      expect(zombiesOf(h.pid)).toEqual([])
    } finally {
      await h.stop()
    }
  })
})

describe.each(binaries.map((b) => [b.name, b.bin]))('%s', (name, bin) => {
  test('reports the expected major version', () => {
    const v = execFileSync(bin, ['-p', 'process.versions.node']).toString().trim()
    if (name !== binaries[0].name) expect(`node${v.split('.')[0]}`).toBe(name)
  })

  test('fork-mode snapshots (auto) and an inline snapshot are valid', async () => {
    const dir = tempDir(`matrix-${name}`)
    const h = new Host(HOST, { ALLOCATE: '1', LW_OPTS: JSON.stringify({ dir }) }, { node: bin })
    try {
      await h.waitFor((e) => e.event === 'ready')
      for (const opts of [{ dir }, { dir }, { dir }, { dir, mode: 'inline' }]) {
        const from = h.events.length
        h.send({ op: 'snapshot', opts })
        const r = await h.waitFor((e) => e.event === 'snapshot-result' || e.event === 'snapshot-error', 60000, from)
        if (r.event === 'snapshot-error') throw new Error(`${name}: ${r.code}: ${r.message}`)
        expect(r).toMatchObject({ event: 'snapshot-result', info: { mode: opts.mode || 'fork' } })
        expect(readSnapshot(r.info.path).snapshot.node_count).toBeGreaterThan(20000)
      }
      expect(zombiesOf(h.pid)).toEqual([])
    } finally {
      await h.stop()
    }
  })
})

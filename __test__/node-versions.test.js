'use strict'
// Fork and inline snapshots on every Node major we support, under allocation
// load (the full suites per version run with `npm run test:matrix`).
const path = require('path')
const { execFileSync } = require('child_process')
const { Host, tempDir, readSnapshot, zombiesOf } = require('./helpers')
const { nodeBinaries } = require('../scripts/node-versions')

const HOST = path.join(__dirname, 'fixtures', 'capture-host.js')
const binaries = nodeBinaries()

test('Node 22 and 24 binaries are installed for the matrix', () => {
  expect(binaries.map((b) => b.name)).toEqual(expect.arrayContaining(['node22', 'node24']))
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
        expect(r).toMatchObject({ event: 'snapshot-result', info: { mode: opts.mode || 'fork' } })
        expect(readSnapshot(r.info.path).snapshot.node_count).toBeGreaterThan(20000)
      }
      expect(zombiesOf(h.pid)).toEqual([])
    } finally {
      await h.stop()
    }
  })
})

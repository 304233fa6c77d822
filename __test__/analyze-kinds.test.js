'use strict'
// Each kind of leak, as a small real program (bench/culprit/cases), must come
// out as the top suspect with its known holder and kind; clean programs must
// give no suspect. The same cases drive `npm run bench:culprit`.
const fs = require('fs')
const os = require('os')
const path = require('path')
const { analyze } = require('../lib/analyze')
const { listCases, expectationOf, runCase } = require('../bench/culprit')

const KINDS = ['unbounded-collection', 'event-listeners', 'timers', 'closures', 'promise-chain', 'unclosed-resources', 'external-buffers', 'async-context']

describe.each(listCases())('%s', (name) => {
  test('the top suspect names the holder and the kind (clean: no suspect)', async () => {
    const expected = expectationOf(name)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `lw-kinds-${name}-`))
    try {
      const { paths } = runCase(name, dir)
      const report = await analyze(paths)
      if (expected.clean) {
        expect(report.suspects).toEqual([])
        return
      }
      const top = report.suspects[0]
      expect({ name: top.holder.name, kind: top.kind }).toEqual({ name: expected.holder, kind: expected.kind })
      expect(KINDS).toContain(top.kind)
      expect(top.advice.length).toBeGreaterThan(20)
      expect(top.holder.description).toContain(expected.holder)
      expect(top.path.split(' > ').length).toBeLessThanOrEqual(12)
      // Chains and linked lists report how many there really are.
      expect(top.counts[2] - top.counts[0]).toBeGreaterThanOrEqual(100)
      expect(report.toString()).toContain(`kind: ${expected.kind}`)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }, 120000)
})

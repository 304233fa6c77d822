'use strict'
// Positions through source maps, without a process: the order of maps when
// code was transformed in memory (Jest's babel transform) on top of compiled
// output on disk (tsc), as a new user's TypeScript test under babel-jest was.
const fs = require('fs')
const path = require('path')
const { originalPosition } = require('../lib/source-maps')
const { tempDir } = require('./helpers')

const dataUrl = (map) => `data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}`

test('a transform in memory is applied first, then the map of the file on disk', () => {
  const dir = tempDir('maps')
  const js = path.join(dir, 'leak.test.js')
  // tsc's output: line 5 comes from leak.test.ts line 3 (the leaking
  // function), line 9 from line 7 (the test's expect call).
  fs.writeFileSync(js, '\n'.repeat(12) + '//# sourceMappingURL=leak.test.js.map\n')
  fs.writeFileSync(`${js}.map`, JSON.stringify({ version: 3, sources: ['leak.test.ts'], names: [], mappings: ';;;;;AAGE;;;;AAIF' }))
  // babel-jest's transform of that file: V8 runs its line 9 (column 8), which
  // is line 5 of the file on disk.
  const cache = new Map()
  cache.inspector = new Map([[js, { script: js, ref: dataUrl({ version: 3, sources: ['leak.test.js'], names: [], mappings: ';;;;;;;;;QAKA' }) }]])
  expect(originalPosition(js, 9, 8, cache)).toEqual({ url: path.join(dir, 'leak.test.ts'), line: 3, column: 2 })
  // Without the transform (plain node), V8's line 9 is the file's own line 9.
  expect(originalPosition(js, 9, 0, new Map())).toEqual({ url: path.join(dir, 'leak.test.ts'), line: 7, column: 0 })
})

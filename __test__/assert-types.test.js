'use strict'
// jest.d.ts and lib/growth.d.ts type-check a typical use (TypeScript comes
// with the dev dependencies; the test is skipped where it is absent).
const { spawnSync } = require('child_process')
const path = require('path')

let tsc = null
try {
  tsc = require.resolve('typescript/bin/tsc')
} catch {
  tsc = null
}

;(tsc ? test : test.skip)('the toLeak matcher and measureGrowth are typed', () => {
  const file = path.join(__dirname, 'fixtures', 'types', 'to-leak.ts')
  // TypeScript 6 wants an explicit opt-in for node10 resolution, 5 rejects it.
  const major = Number(require('typescript/package.json').version.split('.')[0])
  const resolution = major >= 6 ? ['--moduleResolution', 'node10', '--ignoreDeprecations', '6.0'] : ['--moduleResolution', 'node']
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--target', 'es2020', '--module', 'commonjs',
    ...resolution, '--types', 'node', file], { encoding: 'utf8' })
  expect(r.stdout + r.stderr).toBe('')
  expect(r.status).toBe(0)
}, 60000)

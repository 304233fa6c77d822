'use strict'
// jest.d.ts types `toLeak` on both expects users import: the global one of
// @types/jest and `import { expect } from '@jest/globals'` (issue 13).
const { spawnSync } = require('child_process')
const path = require('path')

const tsc = require.resolve('typescript/bin/tsc')
const DIR = path.join(__dirname, 'fixtures', 'jest-types')

function compile(file, types) {
  const major = Number(require('typescript/package.json').version.split('.')[0])
  const resolution = major >= 6 ? ['--moduleResolution', 'node10', '--ignoreDeprecations', '6.0'] : ['--moduleResolution', 'node']
  return spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--target', 'es2020', '--module', 'commonjs',
    ...resolution, '--types', types, path.join(DIR, file)], { encoding: 'utf8' })
}

test.each([
  ['globals.ts', 'node'],
  ['ambient.ts', 'node,jest'],
])('%s type-checks (types: %s)', (file, types) => {
  const r = compile(file, types)
  expect(r.stdout + r.stderr).toBe('')
  expect(r.status).toBe(0)
}, 60000)

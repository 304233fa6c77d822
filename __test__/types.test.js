'use strict'
// index.d.ts matches the API as TypeScript users call it.
const { spawnSync } = require('child_process')
const path = require('path')

test('the public typings compile against a usage file', () => {
  const tsc = path.join(__dirname, '..', 'node_modules', 'typescript', 'bin', 'tsc')
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(__dirname, 'types', 'tsconfig.json')], { encoding: 'utf8' })
  expect(r.stdout + r.stderr).toBe('')
  expect(r.status).toBe(0)
}, 60000)

'use strict'
// leakwatch/jest registered through setupFilesAfterEnv, in a real multi-file
// Jest run (so Jest's BufferedConsole is in place), without --expose-gc.
const { spawnSync } = require('child_process')
const path = require('path')

const ROOT = path.join(__dirname, '..')
const PROJECT = path.join(__dirname, 'fixtures', 'jest-project')

test('setupFilesAfterEnv registers toLeak; console.log passes, a leak fails with its culprit', () => {
  const config = {
    rootDir: PROJECT,
    testEnvironment: 'node',
    testMatch: ['**/*.spec.js'],
    setupFilesAfterEnv: [path.join(ROOT, 'jest.js')],
  }
  const r = spawnSync(process.execPath, [
    path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'),
    '--config', JSON.stringify(config), '--runInBand', '--ci', '--testTimeout', '60000',
  ], { encoding: 'utf8', cwd: PROJECT, env: { ...process.env, NODE_OPTIONS: '' }, timeout: 110000 })
  const out = r.stdout + r.stderr
  expect(r.status).toBe(1)
  expect(out).toMatch(/Tests:\s+1 failed, 1 passed, 2 total/)
  expect(out).toMatch(/PASS .*console\.spec\.js/)
  expect(out).toMatch(/FAIL .*leak\.spec\.js/)
  expect(out).toMatch(/Expected the function not to leak, but the function leaks: the heap grows [\d.]+ B per iteration/)
  // Small-integer fields are no edges in a snapshot, so only `state` is named.
  expect(out).toMatch(/retained by: .*pendingJobs > \[\d+\] > Object\{state\}/)
})

'use strict'
// Runs the process-level suites (signals, workers, faults, Express end to end) with each
// Node version as the host process: `npm run test:matrix`.
const { spawnSync } = require('child_process')
const path = require('path')
const { nodeBinaries } = require('./node-versions')

const suites = ['__test__/signals.test.js', '__test__/signals-worker.test.js', '__test__/faults.test.js', '__test__/e2e-express.test.js']
const jest = path.join(__dirname, '..', 'node_modules', 'jest', 'bin', 'jest.js')
let failed = 0
for (const { name, bin } of nodeBinaries()) {
  console.log(`\n=== ${name} (${bin})`)
  const r = spawnSync(process.execPath, [jest, '--runInBand', ...suites], {
    stdio: 'inherit',
    env: { ...process.env, LEAKWATCH_TEST_NODE: bin },
  })
  if (r.status !== 0) failed++
}
process.exit(failed ? 1 : 0)

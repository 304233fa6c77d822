'use strict'
// `npm run demo` ends by itself and names the leaking array.
const { spawnSync } = require('child_process')
const path = require('path')

test('the demo detects the leak, takes snapshots and names the leaking array', () => {
  const r = spawnSync(process.execPath, [path.join(__dirname, '..', 'scripts', 'demo.js')], { encoding: 'utf8', timeout: 150000 })
  expect(r.status).toBe(0)
  expect(r.stdout).toMatch(/'leak' event after \d+ s/)
  expect(r.stdout.match(/^  snapshot \d: \S+\.heapsnapshot\.gz$/gm)).toHaveLength(3)
  expect(r.stdout).toMatch(/leakwatch named the leak: .*(requestLog|reportCache)/)
  // Named by the module-level variable and its file, not by an unrelated closure's line.
  expect(r.stdout).toMatch(/held by: variable `(requestLog|reportCache)` \(Array\) in the module scope of .*leaky-express\/server\.js/)
  expect(r.stdout).not.toMatch(/defined at: .*server\.js:64:/)
}, 180000)

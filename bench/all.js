'use strict'
// npm run bench: every benchmark in turn, each writing its own JSON under
// bench/results/. Run on a quiet machine: they report medians and ratios,
// but a busy second core still skews the timings.
const { spawnSync } = require('child_process')
const path = require('path')

const BENCHES = ['capture.js', 'capture-rss.js', 'stress-fork.js', 'analyze.js', 'culprit.js', 'culprit-allocation.js --scripted', 'watchdog.js', 'assert.js', 'profiler-overhead.js', 'profiler.js']
let failed = 0
for (const file of BENCHES) {
  console.log(`\n=== bench/${file}`)
  const [script, ...args] = file.split(' ')
  const r = spawnSync(process.execPath, [path.join(__dirname, script), ...args], { stdio: 'inherit' })
  if (r.status !== 0) {
    failed++
    console.log(`bench/${file} exited with ${r.status}`)
  }
}
process.exit(failed ? 1 : 0)

'use strict'

// What a perf_hooks 'gc' observer costs per GC inside Node (entry creation
// and delivery), which the watchdog's self-accounting cannot see: 20,000
// forced minor GCs with and without an observer.
//   node --expose-gc bench/watchdog-gccost.js <obs|none>

const { PerformanceObserver } = require('perf_hooks')

const mode = process.argv[2]
const N = 20000
let entries = 0
if (mode === 'obs') new PerformanceObserver((l) => (entries += l.getEntries().length)).observe({ entryTypes: ['gc'] })
let i = 0
const c0 = process.cpuUsage()
function step() {
  for (let k = 0; k < 100; k++) global.gc({ type: 'minor' })
  i += 100
  if (i < N) return setImmediate(step)
  // One more turn so the last entries are delivered and paid for.
  setImmediate(() => {
    const c = process.cpuUsage(c0)
    process.stdout.write(JSON.stringify({ mode, usPerGc: (c.user + c.system) / N, entries }) + '\n')
  })
}
step()

'use strict'

// A CPU hog for `bench:watchdog -- --load N`: spins for the given ms so the
// corpus runs compete for the cores, as they do beside other test suites.
//   node bench/watchdog-hog.js <ms>

const end = Date.now() + Number(process.argv[2] || 60000)
let x = 0
while (Date.now() < end) x += Math.sqrt(x + 1)
process.stdout.write(JSON.stringify({ type: 'hog', x: x > 0 }) + '\n')

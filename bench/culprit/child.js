'use strict'
// One culprit case in its own process: warm up, then three rounds of work, each
// followed by a full GC and an inline heap snapshot written by leakwatch.
// Prints one JSON line: { paths: [...] }. Usage: node --expose-gc child.js <case> <dir> <perRound>
const path = require('path')
const leakwatch = require('../..')

async function main() {
  const [name, dir, perRoundArg] = process.argv.slice(2)
  const c = require(path.join(__dirname, 'cases', `${name}.js`))
  const perRound = c.perRound || Number(perRoundArg)
  if (c.setup) await c.setup()
  let i = 0
  const round = async () => {
    for (let k = 0; k < perRound; k++) await c.step(i++)
    global.gc()
    await new Promise((resolve) => setImmediate(resolve))
    global.gc()
  }
  await round() // warm-up: code, inline caches and lazy module state settle first
  const paths = []
  for (let s = 1; s <= 3; s++) {
    await round()
    const info = await leakwatch.snapshot({ dir, mode: 'inline', label: `${name.replace(/-/g, '_')}_${s}`, checkHeadroom: false })
    paths.push(info.path)
  }
  process.stdout.write(`${JSON.stringify({ paths })}\n`)
  if (c.teardown) await c.teardown()
  if (c.hardExit) process.exit(0)
  process.exit(0)
}

main().catch((err) => {
  process.stderr.write(`${err.stack}\n`)
  process.exit(1)
})

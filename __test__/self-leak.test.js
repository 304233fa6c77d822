'use strict'
// leakwatch on itself: taking snapshots and analysing them must not grow the
// heap of the process that does it. Uses the project's own toLeak matcher.
// Slow calls (a snapshot of the Jest worker takes a while), so few calls per
// round: leaks below the 256 B per round floor are out of reach here. The
// warm-up is longer than the default because V8 keeps compiling and
// allocating feedback for the first few dozen calls of analyze() (a staircase
// of 0.3-6 KiB steps, flat afterwards, seen with 2 calls per round).
// v8.writeHeapSnapshot() itself, without leakwatch, grows the heap: in a plain
// process ~5 KiB over its first ~30 calls, then flat; inside a Jest worker
// ~1.3 KiB per call over the first 16 calls and ~0.2 KiB per call after
// (measured with this matcher on the bare V8 call). The snapshot() budget
// leaves room for that, not for a retained Buffer, job or result per call.
const fs = require('fs')
const os = require('os')
const path = require('path')
const { spawnSync } = require('child_process')
require('../jest')
const { snapshot } = require('../lib/capture')
const { analyze } = require('../lib/analyze')

let dir

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-self-'))
})

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

test('snapshot() does not leak', async () => {
  await expect(async () => {
    const info = await snapshot({ dir, mode: 'inline', gzipLevel: 1 })
    fs.rmSync(info.path, { force: true })
  }).not.toLeak({ iterations: 1, rounds: 8, warmup: 16, budgetBytesPerIteration: 2048, timeoutMs: 110000 })
})

test('analyze() does not leak', async () => {
  // Three small snapshots of a separate process with a growing array.
  const script = `const v8 = require('v8'); global.held = []
for (let n = 1; n <= 3; n++) {
  for (let i = 0; i < 5000; i++) held.push({ n, i })
  v8.writeHeapSnapshot(require('path').join(process.argv[1], 's' + n + '.heapsnapshot'))
}`
  const r = spawnSync(process.execPath, ['-e', script, dir], { encoding: 'utf8' })
  expect(r.status).toBe(0)
  const files = [1, 2, 3].map((n) => path.join(dir, `s${n}.heapsnapshot`))
  const report = await analyze(files)
  expect(report.suspects.length).toBeGreaterThan(0)
  await expect(() => analyze(files)).not.toLeak({ iterations: 3, rounds: 8, warmup: 30 })
})

test('a watchdog start and stop does not leak', async () => {
  const { watch } = require('..')
  await expect(() => {
    const dog = watch()
    dog.stop()
  }).not.toLeak({ iterations: 20, rounds: 10 })
})

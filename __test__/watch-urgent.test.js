'use strict'

// The watchdog in time: real processes with the fast, sparse and
// external-memory leaks, and clean ones with big freed Buffers. Counts events,
// never wall-clock time (the machine may be loaded); each child bounds itself.

const path = require('path')
const { runJsonLines } = require('./helpers')

const FIXTURE = path.join(__dirname, 'fixtures', 'watch-fast.js')
const MiB = 1024 * 1024
// The compressed settings for the sparse-GC case.
const COMPRESSED = { intervalMs: 100, windowMs: 8000, warmupMs: 2000, minGrowthBytesPerMin: 5 * MiB }

jest.setTimeout(180000)

async function run(which, { flags = [], opts, maxMs = 40000 } = {}) {
  const env = { CASE: which, MAX_MS: String(maxMs) }
  if (opts) env.WATCH_OPTS = JSON.stringify(opts)
  const r = await runJsonLines([...flags, FIXTURE], { env, timeoutMs: maxMs + 120000, node: process.execPath })
  return { ...r, leaks: r.lines.filter((l) => l.type === 'leak'), done: r.lines.find((l) => l.type === 'done') }
}

test.concurrent("a fast leak under a 256 MB heap, watch() at defaults: an urgent 'leak' before the OOM kills it", async () => {
  // ~400 MB/min of request records; the process has no end of its own.
  const r = await run('fast', { flags: ['--max-old-space-size=256'], maxMs: 600000 })
  expect(r.done).toBeUndefined()
  expect(r.stderr).toMatch(/heap out of memory/)
  expect(r.code === 134 || r.signal === 'SIGABRT').toBe(true)
  expect(r.leaks.length).toBeGreaterThanOrEqual(1)
  const first = r.leaks[0]
  expect(first).toMatchObject({ kind: 'heap', urgent: true, oomBound: 'heap' })
  expect(first.msToOom).toBeGreaterThan(0)
  expect(first.msToOom).toBeLessThan(15 * 60000)
  expect(first.samples).toBeGreaterThanOrEqual(5)
  expect(first.confidence).toBeGreaterThanOrEqual(1 - 1 / 120 - 1e-9)
  expect(first.reason).toMatch(/^urgent:/)
})

test.concurrent('sparse major GCs: the listener leak is reported within the bound (forced GCs feed the detector)', async () => {
  const r = await run('listeners', { opts: COMPRESSED, maxMs: 40000 })
  expect(r.code).toBe(0)
  expect(r.leaks.length).toBeGreaterThanOrEqual(1)
  expect(r.leaks[0].kind).toBe('heap')
  expect(r.leaks[0].growthBytesPerMin).toBeGreaterThan(50 * MiB)
  // Readings came from requested GCs as well as V8's own.
  expect(r.done.stats.gc.forced).toBeGreaterThan(0)
})

test.concurrent("a Buffer leak raises 'leak' with kind 'external'", async () => {
  const r = await run('buffers', { opts: COMPRESSED, maxMs: 40000 })
  expect(r.code).toBe(0)
  expect(r.leaks.length).toBeGreaterThanOrEqual(1)
  expect(r.leaks[0].kind).toBe('external')
  expect(r.leaks[0].bytes).toBeGreaterThan(10 * MiB)
  expect(r.leaks[0].growthBytesPerMin).toBeGreaterThan(50 * MiB)
  expect(r.leaks.every((l) => l.kind === 'external')).toBe(true)
  expect(r.done.stats.outside.external.state).toBe('leak')
})

test.concurrent('clean: big Buffers that are freed, and plain request garbage, raise no leak', async () => {
  const [buffers, plain] = await Promise.all([
    run('buffers-clean', { opts: COMPRESSED, maxMs: 30000 }),
    run('clean', { opts: COMPRESSED, maxMs: 30000 }),
  ])
  for (const r of [buffers, plain]) {
    expect(r.code).toBe(0)
    expect(r.leaks).toEqual([])
    expect(r.done.stats.running).toBe(true)
  }
  // The Buffers were there to be seen: tens of MB went through external.
  expect(buffers.done.stats.gc.minor).toBeGreaterThan(10)
})

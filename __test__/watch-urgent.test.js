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
    // Past RSS_SETTLE_MS (60 s of process age) by more than a window: RSS
    // outside V8 is judged too, after the process's start-up ramp.
    run('buffers-clean', { opts: COMPRESSED, maxMs: 80000 }),
    run('clean', { opts: COMPRESSED, maxMs: 80000 }),
  ])
  for (const r of [buffers, plain]) {
    expect(r.code).toBe(0)
    expect(r.leaks).toEqual([])
    expect(r.done.stats.running).toBe(true)
  }
  // The Buffers were there to be seen: tens of MB went through external.
  expect(buffers.done.stats.gc.minor).toBeGreaterThan(10)
})

test.concurrent("a leak faster than a tick under a 128 MB heap: urgent 'leak' and a .heapprofile naming the allocating function before the OOM", async () => {
  // ~660 MB/min; on an idle machine it dies within ~10 s, before the second
  // tick at the defaults. Evidence as the README's example turns it on.
  const fs = require('fs')
  const os = require('os')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-faster-'))
  try {
    const r = await run('faster', { flags: ['--max-old-space-size=128'], maxMs: 600000, opts: { heapProfile: { when: 'suspected' }, snapshot: { dir } } })
    expect(r.done).toBeUndefined()
    expect(r.stderr).toMatch(/heap out of memory/)
    expect(r.leaks.length).toBeGreaterThanOrEqual(1)
    expect(r.leaks[0]).toMatchObject({ kind: 'heap', urgent: true, oomBound: 'heap' })
    expect(r.leaks[0].msToOom).toBeGreaterThan(0)
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('-evidence.heapprofile'))
    expect(files).toHaveLength(1)
    const profile = JSON.parse(fs.readFileSync(path.join(dir, files[0]), 'utf8'))
    expect(profile.samples.length).toBeGreaterThan(0)
    // The frame holding the most sampled live memory is the leak's: the
    // allocating function, or its caller when V8 inlined it there.
    let top = null
    ;(function walk(n) {
      if (!top || n.selfSize > top.selfSize) top = n
      for (const c of n.children || []) walk(c)
    })(profile.head)
    expect(['allocateSessionRecord', 'faster']).toContain(top.callFrame.functionName)
    expect(top.callFrame.url).toMatch(/watch-fast\.js$/)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test.concurrent("memory outside the heap and external (a Worker's isolate) raises 'leak' with kind 'rss'", async () => {
  // RSS outside V8 is judged from 60 s of process age (src/watch/track.rs).
  const r = await run('native', { opts: COMPRESSED, maxMs: 85000 })
  expect(r.code).toBe(0)
  expect(r.leaks.length).toBeGreaterThanOrEqual(1)
  expect(r.leaks.every((l) => l.kind === 'rss')).toBe(true)
  expect(r.leaks[0].urgent).toBe(false)
  expect(r.leaks[0].growthBytesPerMin).toBeGreaterThan(5 * MiB)
  // This thread's own heap and external held still.
  expect(r.done.stats.outside.external.state).not.toBe('leak')
  expect(r.done.stats.assessment.state).not.toBe('leak')
})

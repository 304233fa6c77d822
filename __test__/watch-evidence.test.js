'use strict'
// Evidence before an OOM and the watchdog's snapshot options (issue 10, items 3 and 5).
const fs = require('fs')
const path = require('path')
const { tempDir, readSnapshot, SNAPSHOT_NAME, liveBytesByFunction, runJsonLines } = require('./helpers')
const { watch } = require('../lib/watchdog')
const { profilePathFor } = require('../lib/watchdog-evidence')

const FIXTURE = path.join(__dirname, 'fixtures', 'oom-evidence.js')
const LEAKER = 'retainRequestRecordsUntilOom'
const MiB = 1024 * 1024

function run({ opts, env = {}, heapMb = 128, timeoutMs = 90000 }) {
  return runJsonLines([`--max-old-space-size=${heapMb}`, FIXTURE], { env: { WATCH_OPTS: JSON.stringify(opts), ...env }, timeoutMs })
}

/** Allocating functions (top frame) by sampled live bytes, largest first. */
function topAllocators(file) {
  return liveBytesByFunction(JSON.parse(fs.readFileSync(file, 'utf8'))).map(([name]) => name)
}

describe('options', () => {
  const bad = [
    [{ snapshot: { dri: '/tmp' } }, /snapshot\.dri: unknown option/],
    [{ snapshot: { gzipLevel: 12 } }, /snapshot\.gzipLevel/],
    [{ snapshot: { maxFiles: 0 } }, /snapshot\.maxFiles/],
    [{ snapshot: { mode: 'thread' } }, /snapshot\.mode/],
    [{ snapshot: 'dir' }, /invalid option snapshot: expected an object/],
    [{ snapshot: 3 }, /did you mean `snapshots`/],
    [{ heapProfile: { when: 'sometimes' } }, /heapProfile\.when/],
    [{ heapProfile: { every: 5 } }, /heapProfile\.every: unknown option/],
    [{ heapProfile: { samplingIntervalBytes: 10 } }, /heapProfile\.samplingIntervalBytes/],
    [{ heapProfile: { saveEveryMs: 5 } }, /heapProfile\.saveEveryMs/],
  ]
  test.each(bad)('%j is rejected', (opts, message) => {
    expect(() => watch(opts)).toThrow(expect.objectContaining({ code: 'ERR_LEAKWATCH_INVALID_OPTION', message: expect.stringMatching(message) }))
  })

  test('snapshot options are validated by snapshot()\'s rules and kept', () => {
    const dir = tempDir('wopt')
    const w = watch({ snapshot: { dir, maxFiles: 2, gzipLevel: 1, mode: 'inline' } })
    w.stop()
    expect(w.options.snapshot).toMatchObject({ dir, maxFiles: 2, gzipLevel: 1, mode: 'inline', timeoutMs: 300000 })
    expect(w.options.heapProfile).toEqual({ when: 'never', samplingIntervalBytes: 512 * 1024, saveEveryMs: 30000 })
    const withSnaps = watch({ snapshots: 1 }, { takeSnapshot: () => Promise.resolve({}) })
    withSnaps.stop()
    expect(withSnaps.options.heapProfile.when).toBe('suspected')
  })
})

describe('urgent snapshots (scripted detector)', () => {
  const wait = (ms) => new Promise((r) => setTimeout(r, ms))
  function scripted(assessment) {
    return class {
      constructor(opts) { this.opts = opts }
      addSample() { return false }
      gcDue() { return null }
      gcDone() {}
      evaluate() {
        return [{ kind: 'heap', urgent: false, state: 'insufficient', windowMs: this.opts.windowMs, growthBytesPerMin: 600 * MiB, recentGrowthBytesPerMin: 600 * MiB, confidence: 0.99, samples: 4, liveHeapBytes: 50 * MiB, reason: 'scripted', ...assessment }]
      }
      memory() { return { rssBytes: 80 * MiB, peakRssBytes: 80 * MiB, samplerCpuMs: 0 } }
      stop() {}
    }
  }

  test('OOM projected: the first snapshot starts at once, reserving the growth during it; its profile lands beside it', async () => {
    const dir = tempDir('urgent')
    const calls = []
    const takeSnapshot = (label, o) => {
      calls.push({ label, o })
      const file = path.join(dir, `h-1-20261130T000000.000Z-${calls.length}-${label.replace('-', '_')}.heapsnapshot.gz`)
      fs.writeFileSync(file, 'x')
      return Promise.resolve({ path: file, bytes: 1, deleted: [] })
    }
    // Long window: without urgency the spacing rule would allow one snapshot only.
    const w = watch({ intervalMs: 20, windowMs: 600000, snapshots: 2, snapshot: { dir, label: 'svc' } }, {
      NativeWatchdog: scripted({ urgent: true, msToOom: 120000 }),
      takeSnapshot,
    })
    const evidence = []
    const snaps = []
    w.on('evidence', (e) => evidence.push(e))
    w.on('snapshot', (e) => snaps.push(e))
    await wait(400)
    w.stop()
    expect(calls.length).toBe(1)
    expect(calls[0].label).toBe('svc-leak-1')
    expect(calls[0].o.dir).toBe(dir)
    // 600 MiB/min = 10 MiB/s over at least the fixed second a capture takes.
    expect(calls[0].o.reserveBytes).toBeGreaterThanOrEqual(10 * MiB)
    expect(evidence.find((e) => e.type === 'profiling-started').reason).toBe('urgent')
    expect(snaps.length).toBe(1)
    expect(snaps[0].heapProfile).toBe(profilePathFor(snaps[0].path))
    expect(JSON.parse(fs.readFileSync(snaps[0].heapProfile, 'utf8')).head).toBeDefined()
    const names = fs.readdirSync(dir)
    expect(names.filter((n) => n.endsWith('-evidence.heapprofile')).length).toBe(1)
    expect(names.filter((n) => n.startsWith('.'))).toEqual([])
  })

  test('a snapshot that could not finish before the OOM is skipped, the profile is still written', async () => {
    const dir = tempDir('late')
    let taken = 0
    const w = watch({ intervalMs: 20, windowMs: 600000, snapshots: 2, snapshot: { dir } }, {
      NativeWatchdog: scripted({ urgent: true, state: 'leak', msToOom: 300 }),
      takeSnapshot: () => { taken++; return Promise.resolve({}) },
    })
    const evidence = []
    w.on('evidence', (e) => evidence.push(e))
    await wait(300)
    w.stop()
    expect(taken).toBe(0)
    expect(evidence.filter((e) => e.type === 'snapshot-skipped').length).toBe(1)
    const saved = evidence.find((e) => e.type === 'heap-profile')
    expect(JSON.parse(fs.readFileSync(saved.path, 'utf8')).samples).toBeInstanceOf(Array)
  })
})

describe('real processes', () => {
  test('a process killed by a fast leak leaves a valid .heapprofile naming the allocating function', async () => {
    const dir = tempDir('oom')
    // The detector stays in warm-up, as in the silent death: the
    // profile must come from the nearness of the heap limit alone.
    const r = await run({
      heapMb: 48,
      env: { PER_TICK: '600' },
      opts: { intervalMs: 200, warmupMs: 600000, snapshots: 1, snapshot: { dir } },
    })
    expect(r.code === 134 || r.signal === 'SIGABRT').toBe(true)
    expect(r.stderr).toMatch(/heap out of memory/)
    expect(r.lines.some((l) => l.event === 'error')).toBe(false)
    const names = fs.readdirSync(dir).filter((n) => !n.startsWith('.'))
    const evidence = names.filter((n) => n.endsWith('-evidence.heapprofile'))
    expect(evidence.length).toBe(1)
    expect(evidence[0]).toMatch(/^[A-Za-z0-9._]+-\d+-\d{8}T\d{6}\.\d{3}Z-evidence\.heapprofile$/)
    expect(topAllocators(path.join(dir, evidence[0]))[0]).toBe(LEAKER)
    expect(fs.statSync(path.join(dir, evidence[0])).mode & 0o777).toBe(0o600)
  }, 120000)

  test('watchdog snapshots honour snapshot.dir and maxFiles, each with its .heapprofile beside it', async () => {
    const dir = tempDir('wsnap')
    // Inline: a forked child of a heap this busy takes minutes on a loaded
    // 2-core machine; the loop blocked by an inline capture pauses the leak too.
    // Two older snapshots (with profiles) of another process: maxFiles 2 drops the oldest.
    const old = ['h-7-20200101T000000.000Z-1.heapsnapshot.gz', 'h-7-20200101T000001.000Z-2.heapsnapshot.gz']
    for (const [i, n] of old.entries()) {
      fs.writeFileSync(path.join(dir, n), 'old')
      fs.writeFileSync(profilePathFor(path.join(dir, n)), '{}')
      fs.utimesSync(path.join(dir, n), 1e9 + i, 1e9 + i)
    }
    const r = await run({
      env: { PER_TICK: '300', EXIT_AFTER_SNAPSHOT: '1' },
      // Profiling from the start: a profile started when growth is first
      // suspected is only a baseline at the first snapshot (an empty one when
      // the detector suspects at once, as it now does with warmupMs 0).
      opts: { intervalMs: 200, windowMs: 2000, warmupMs: 0, minGrowthBytesPerMin: MiB, snapshots: 1, heapProfile: { when: 'always' }, snapshot: { dir, maxFiles: 2, gzipLevel: 1, label: 'svc', mode: 'inline' } },
    })
    const snap = r.lines.find((l) => l.event === 'snapshot')
    expect(snap).toBeDefined()
    expect(snap.mode).toBe('inline')
    expect(path.dirname(snap.path)).toBe(dir)
    expect(path.basename(snap.path)).toMatch(SNAPSHOT_NAME)
    expect(path.basename(snap.path)).toMatch(/-svc_leak_1\.heapsnapshot\.gz$/)
    expect(snap.heapProfile).toBe(snap.path.replace(/\.heapsnapshot\.gz$/, '.heapprofile'))
    expect(topAllocators(snap.heapProfile)[0]).toBe(LEAKER)
    readSnapshot(snap.path)
    const names = fs.readdirSync(dir).sort()
    expect(names.filter((n) => n.endsWith('.heapsnapshot.gz'))).toEqual([old[1], path.basename(snap.path)].sort())
    // The dropped snapshot's profile went with it.
    expect(names).not.toContain(path.basename(profilePathFor(old[0])))
    expect(names).toContain(path.basename(profilePathFor(old[1])))
  }, 120000)

  test("evidence that cannot be written is an 'error' event with a code; the host lives on", async () => {
    const dir = tempDir('wfail')
    const r = await run({
      env: { PER_TICK: '10', MAX_MS: '1500', BLOCK_AFTER_START: path.join(dir, 'file') },
      opts: { intervalMs: 100, heapProfile: { when: 'always', saveEveryMs: 100 }, snapshot: { dir: path.join(dir, 'file') } },
    })
    expect(r.code).toBe(0)
    expect(r.lines.some((l) => l.event === 'done')).toBe(true)
    const errors = r.lines.filter((l) => l.event === 'error')
    expect(errors.length).toBeGreaterThan(1)
    for (const e of errors) expect(e.code).toBe('ERR_LEAKWATCH_DIR_NOT_WRITABLE')
    expect(fs.readdirSync(dir)).toEqual(['file'])
  }, 60000)
})

test('the growth reserved for an urgent snapshot is charged by the memory headroom guard', async () => {
  const { capture } = require('../lib/capture')
  const { captureOptions } = require('../lib/options')
  const dir = tempDir('reserve')
  await expect(capture({ ...captureOptions({ dir }), reserveBytes: 2 ** 52 }))
    .rejects.toMatchObject({ code: 'ERR_LEAKWATCH_NO_MEMORY_HEADROOM' })
  expect(fs.readdirSync(dir)).toEqual([])
})

describe('save policy (scripted ticks)', () => {
  const { WatchdogEvidence, evidenceOptions } = require('../lib/watchdog-evidence')
  function harness(heapProfile) {
    const saves = []
    class FakeProfiler {
      start() { return this }
      saveSync(p) { saves.push(p); return { path: p, bytes: 2 } }
      stop() {}
    }
    let now = 0
    const events = []
    const ev = new WatchdogEvidence({ ...evidenceOptions({ snapshot: { dir: '/nonexistent-lw' }, heapProfile }, 0) }, {
      warn: (e) => { throw e },
      emit: (e) => events.push(e),
    }, { SamplingProfiler: FakeProfiler, now: () => now })
    const tick = (a, usedMb, advanceMs = 1000) => {
      now += advanceMs
      return ev.onTick({ state: 'steady', ...a }, { heapUsedBytes: usedMb * MiB, liveHeapBytes: usedMb * MiB, heapLimitBytes: 1048 * MiB, memoryLimitBytes: null }, { left: 0, inFlight: false, paths: [] })
    }
    return { saves, events, tick, ev }
  }

  test('a steady heap is saved once, a growing one every period, a near OOM every tick', () => {
    const h = harness({ when: 'always', saveEveryMs: 5000 })
    expect(h.events[0]).toEqual({ type: 'profiling-started', reason: 'always', shared: false, samplingIntervalBytes: 512 * 1024 })
    for (let i = 0; i < 20; i++) h.tick({}, 100)
    expect(h.saves.length).toBe(1) // 20 s steady: the first save only
    for (let i = 0; i < 20; i++) h.tick({}, 100 + 10 * (i + 1)) // growing 10 MB/s, limit 1000 MB
    expect(h.saves.length).toBe(1 + 4)
    for (let i = 0; i < 5; i++) h.tick({ urgent: true, msToOom: 20000 }, 300)
    expect(h.saves.length).toBe(1 + 4 + 5)
    expect(new Set(h.saves).size).toBe(1)
    expect(h.saves[0]).toMatch(/^\/nonexistent-lw\/[A-Za-z0-9._]+-\d+-\d{8}T\d{6}\.\d{3}Z-evidence\.heapprofile$/)
  })

  test('each major GC is judged at once past 40% of the limit before sampling, and past 60% always', () => {
    const h = harness({ when: 'suspected' })
    expect(h.ev.everyReading(300 * MiB, 1000 * MiB)).toBe(false)
    expect(h.ev.everyReading(450 * MiB, 1000 * MiB)).toBe(true) // sampling should start
    h.tick({}, 450)
    expect(h.ev.everyReading(450 * MiB, 1000 * MiB)).toBe(false) // started: saves follow the period
    expect(h.ev.everyReading(650 * MiB, 1000 * MiB)).toBe(true)
    expect(harness({ when: 'never' }).ev.everyReading(900 * MiB, 1000 * MiB)).toBe(false)
  })

  test("'suspected' waits for the detector or the limit", () => {
    const h = harness({ when: 'suspected' })
    h.tick({}, 100)
    h.tick({ msToOom: 3600000 }, 100)
    expect(h.saves.length).toBe(0)
    h.tick({}, 420) // > 40% of the 1000 MB old generation
    expect(h.events[0]).toMatchObject({ type: 'profiling-started', reason: 'near-limit', shared: false })
    // A profile saved the moment sampling starts would hold no sample.
    expect(h.saves.length).toBe(0)
    h.tick({}, 425)
    expect(h.saves.length).toBe(1)
    const s = harness({ when: 'suspected' })
    s.tick({ state: 'suspected' }, 100)
    expect(s.events[0].reason).toBe('suspected')
    const n = harness({ when: 'never' })
    n.tick({ urgent: true, msToOom: 1000 }, 900)
    expect(n.saves.length).toBe(0)
  })
})

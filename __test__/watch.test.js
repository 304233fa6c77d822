'use strict'

const fs = require('fs')
const os = require('os')
const path = require('path')
const { EventEmitter } = require('events')
const { watch, Watchdog, DEFAULTS } = require('../lib/watchdog')
const { runJsonLines, until } = require('./helpers')

const ROOT = path.join(__dirname, '..')
const WATCHDOG = path.join(ROOT, 'lib', 'watchdog.js')
const LEAKY = path.join(__dirname, 'fixtures', 'watch-leaky.js')
const MiB = 1024 * 1024

// Its children run on this very node, whatever LEAKWATCH_TEST_NODE says.
const runNode = (args, { env = {}, timeoutMs = 20000 } = {}) => runJsonLines(args, { env, timeoutMs, node: process.execPath })

function tmpCgroup(files) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-cg-'))
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    fs.writeFileSync(path.join(dir, name), content)
  }
  return dir
}

describe('options', () => {
  const bad = [
    [{ intervalMs: 0 }, 'intervalMs'],
    [{ intervalMs: 'fast' }, 'intervalMs'],
    [{ windowMs: -1 }, 'windowMs'],
    [{ windowMs: 100, intervalMs: 50 }, 'windowMs'],
    [{ minGrowthBytesPerMin: 0 }, 'minGrowthBytesPerMin'],
    [{ confidence: 1 }, 'confidence'],
    [{ confidence: 0.4 }, 'confidence'],
    [{ warmupMs: -5 }, 'warmupMs'],
    [{ warmupMs: NaN }, 'warmupMs'],
    [{ snapshots: 1.5 }, 'snapshots'],
    [{ snapshots: 2 }, 'snapshots'], // no takeSnapshot injected
    [{ cgroupRoot: 42 }, 'cgroupRoot'],
    [{ intervallMs: 100 }, 'intervallMs'],
    // Contradictory: the urgent rule needs five readings, one per interval at best.
    [{ urgentHorizonMs: 4000 }, 'urgentHorizonMs'],
    [{ intervalMs: 60000, windowMs: 600000, urgentHorizonMs: 120000 }, 'urgentHorizonMs'],
    [{ urgentHorizonMs: 0 }, 'urgentHorizonMs'],
    [{ forceGc: 'yes' }, 'forceGc'],
    ['fast', 'options'],
  ]
  test.each(bad)('%j is rejected naming %s', (opts, name) => {
    let err
    try {
      watch(opts).stop()
    } catch (e) {
      err = e
    }
    expect(err).toBeDefined()
    expect(err.code).toBe('ERR_LEAKWATCH_INVALID_OPTION')
    expect(err.message).toContain(name)
  })

  test('defaults are sane and returned watchdog is an EventEmitter', () => {
    expect(DEFAULTS).toMatchObject({ intervalMs: 5000, windowMs: 180000, warmupMs: 30000, urgentHorizonMs: 900000, forceGc: true, confidence: 0.95 })
    const w = watch()
    try {
      expect(w).toBeInstanceOf(EventEmitter)
      expect(w).toBeInstanceOf(Watchdog)
      expect(w.options.windowMs).toBe(180000)
    } finally {
      w.stop()
    }
  })
})

describe('sampling', () => {
  test("emits 'stats' with heap, RSS, external and GC figures; stop() is idempotent", async () => {
    const w = watch({ intervalMs: 20, windowMs: 1000, warmupMs: 0 })
    const stats = await new Promise((resolve) => w.once('stats', resolve))
    expect(stats.heapUsedBytes).toBeGreaterThan(0)
    expect(stats.heapTotalBytes).toBeGreaterThan(0)
    expect(stats.heapLimitBytes).toBeGreaterThan(stats.heapTotalBytes)
    expect(stats.rssBytes).toBeGreaterThan(10 * MiB)
    expect(typeof stats.externalBytes).toBe('number')
    expect(stats.gc).toMatchObject({ minor: expect.any(Number), major: expect.any(Number), pauseMs: expect.any(Number) })
    expect(typeof stats.state).toBe('string')
    w.stop()
    w.stop()
    expect(w.running).toBe(false)
    expect(w.stats().running).toBe(false)
  })

  test('the sampling thread exists while running and is joined by stop()', async () => {
    const threads = () => fs.readdirSync('/proc/self/task').filter((t) => {
      try {
        return fs.readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim() === 'leakwatch-watch'
      } catch {
        return false
      }
    }).length
    const before = threads()
    const w = watch({ intervalMs: 1000 })
    // The thread names itself once it runs.
    for (let i = 0; i < 100 && threads() === before; i++) await new Promise((r) => setTimeout(r, 10))
    expect(threads()).toBe(before + 1)
    w.stop()
    expect(threads()).toBe(before)
  })
})

describe('process exit', () => {
  test('a process with a watchdog and nothing else to do exits by itself', async () => {
    const code = `require(${JSON.stringify(WATCHDOG)}).watch({ intervalMs: 50, windowMs: 1000, warmupMs: 0 })`
    const r = await runNode(['-e', code], { timeoutMs: 10000 })
    expect(r.signal).toBeNull()
    expect(r.code).toBe(0)
  })

  test('it also exits after work ends, with listeners attached and after GCs', async () => {
    const code = `
      const w = require(${JSON.stringify(WATCHDOG)}).watch({ intervalMs: 20, windowMs: 1000, warmupMs: 0 })
      let n = 0
      w.on('stats', () => n++); w.on('leak', () => {})
      const keep = []
      const t = setInterval(() => { for (let i = 0; i < 1e4; i++) keep.push({ i }) }, 5)
      setTimeout(() => { clearInterval(t); process.on('exit', () => console.log(JSON.stringify({ n }))) }, 400)`
    const r = await runNode(['-e', code], { timeoutMs: 10000 })
    expect(r.code).toBe(0)
    expect(r.lines[0].n).toBeGreaterThan(3)
  })
})

describe('env cleanup', () => {
  test("a worker that never calls stop() still has its sampling thread joined when it exits", async () => {
    const code = `
      const { Worker } = require('worker_threads')
      const fs = require('fs')
      const count = () => fs.readdirSync('/proc/self/task').filter((t) => {
        try { return fs.readFileSync('/proc/self/task/' + t + '/comm', 'utf8').trim() === 'leakwatch-watch' } catch { return false }
      }).length
      const w = new Worker('require(' + JSON.stringify(${JSON.stringify(WATCHDOG)}) + ').watch({ intervalMs: 50 }); require("worker_threads").parentPort.postMessage("started"); setTimeout(() => {}, 300)', { eval: true })
      let during = -1
      // Counted once the worker says its watchdog runs: a loaded machine
      // can take longer than any fixed delay to start a Worker.
      w.on('message', () => { during = count() })
      w.on('exit', (code) => console.log(JSON.stringify({ code, during, after: count() })))`
    const r = await runNode(['-e', code], { timeoutMs: 10000 })
    expect(r.code).toBe(0)
    expect(r.lines[0]).toEqual({ code: 0, during: 1, after: 0 })
  })
})

describe('container limit', () => {
  test('v2 memory.max / memory.current from LEAKWATCH_CGROUP_ROOT', async () => {
    const dir = tmpCgroup({ 'memory.max': String(512 * MiB), 'memory.current': String(300 * MiB), 'memory.stat': `inactive_file ${100 * MiB}\n` })
    const code = `
      const w = require(${JSON.stringify(WATCHDOG)}).watch({ intervalMs: 20, windowMs: 1000 })
      w.once('stats', (s) => { console.log(JSON.stringify(s)); w.stop() })
      setTimeout(() => {}, 300) // the watchdog alone would let the process exit at once`
    const r = await runNode(['-e', code], { env: { LEAKWATCH_CGROUP_ROOT: dir } })
    expect(r.code).toBe(0)
    expect(r.lines[0].memoryLimitBytes).toBe(512 * MiB)
    expect(r.lines[0].memoryUsageBytes).toBe(200 * MiB)
  })

  test('v1 limit through the cgroupRoot option; unlimited and absent give null', () => {
    const v1 = tmpCgroup({ 'memory/memory.limit_in_bytes': String(MiB * 1024), 'memory/memory.usage_in_bytes': String(MiB * 100) })
    const w = watch({ intervalMs: 1000, cgroupRoot: v1 })
    expect(w.stats().memoryLimitBytes).toBe(1024 * MiB)
    expect(w.stats().memoryUsageBytes).toBe(100 * MiB)
    w.stop()
    const unlimited = tmpCgroup({ 'memory.max': 'max\n', 'memory.current': '5\n' })
    const w2 = watch({ intervalMs: 1000, cgroupRoot: unlimited })
    expect(w2.stats().memoryLimitBytes).toBeNull()
    w2.stop()
    const empty = tmpCgroup({})
    const w3 = watch({ intervalMs: 1000, cgroupRoot: empty })
    expect(w3.stats().memoryLimitBytes).toBeNull()
    w3.stop()
  })
})

describe('leak detection in a real process', () => {
  jest.setTimeout(90000)

  test("a leaking process gets a complete 'leak' event, projected onto the container limit, and exits", async () => {
    const dir = tmpCgroup({ 'memory.max': String(2048 * MiB) })
    const r = await runNode(['--max-semi-space-size=1', LEAKY], {
      env: { LEAKWATCH_CGROUP_ROOT: dir, FAKE_CGROUP: dir, MAX_LEAKS: '1', MAX_MS: '60000', LEAK_STRENGTH: '2' },
      timeoutMs: 80000,
    })
    expect(r.code).toBe(0)
    const leak = r.lines.find((l) => l.type === 'leak')
    expect(leak).toBeDefined()
    expect(leak.growthBytesPerMin).toBeGreaterThan(6 * MiB)
    expect(leak.confidence).toBeGreaterThanOrEqual(0.95)
    expect(leak.windowMs).toBeGreaterThanOrEqual(12000)
    expect(leak.samples).toBeGreaterThanOrEqual(5)
    expect(leak.liveHeapBytes).toBeGreaterThan(0)
    expect(leak.heapLimitBytes).toBeGreaterThan(leak.liveHeapBytes)
    expect(leak.memoryLimitBytes).toBe(2048 * MiB)
    expect(leak.rssBytes).toBeGreaterThan(0)
    expect(leak.msToOom).toBeGreaterThan(0)
    expect(leak.oomBound).toBe('container')
    // Container headroom / growth (the fixture adds the usage it charged).
    const expected = ((leak.memoryLimitBytes - leak.memoryUsageBytes) / leak.growthBytesPerMin) * 60000
    expect(leak.msToOom / expected).toBeGreaterThan(0.8)
    expect(leak.msToOom / expected).toBeLessThan(1.25)
    expect(Date.parse(leak.projectedOomAt)).toBeGreaterThan(Date.now())
    expect(typeof leak.reason).toBe('string')
  })

  test('msToOom falls as the process approaches its container limit', async () => {
    const dir = tmpCgroup({})
    const r = await runNode(['--max-semi-space-size=1', LEAKY], {
      env: {
        LEAKWATCH_CGROUP_ROOT: dir,
        FAKE_CGROUP: dir,
        FAKE_HEADROOM: String(80 * MiB),
        PRINT_STATS: '1',
        WINDOW_MS: '24000',
        MAX_LEAKS: '100',
        MAX_MS: '55000',
        LEAK_STRENGTH: '2',
      },
      timeoutMs: 80000,
    })
    expect(r.code).toBe(0)
    const firstLeak = r.lines.findIndex((l) => l.type === 'leak')
    expect(firstLeak).toBeGreaterThan(0)
    const series = r.lines.slice(firstLeak).filter((l) => l.type === 'stats' && l.msToOom !== null)
    expect(series.length).toBeGreaterThanOrEqual(30)
    const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]
    const third = Math.floor(series.length / 3)
    const early = series.slice(0, third)
    const late = series.slice(-third)
    const headroom = (xs) => median(xs.map((l) => l.memoryLimitBytes - l.memoryUsageBytes))
    expect(headroom(late)).toBeLessThan(headroom(early))
    expect(median(late.map((l) => l.msToOom))).toBeLessThan(0.95 * median(early.map((l) => l.msToOom)))
  })
})

describe('snapshots and error handling (scripted native detector)', () => {
  /** A native detector whose verdicts follow `states` (the last repeats), or a function giving the next one. */
  function fakeNative(states) {
    const next = typeof states === 'function' ? states : () => (states.length > 1 ? states.shift() : states[0])
    return class FakeNative {
      constructor(opts) {
        this.opts = opts
      }
      addSample() {
        return false
      }
      gcDue() {
        return null
      }
      gcDone() {}
      evaluate() {
        const s = next()
        return [{ kind: 'heap', urgent: false, state: s.state, event: s.event, windowMs: this.opts.windowMs, growthBytesPerMin: 5 * MiB, recentGrowthBytesPerMin: 5 * MiB, confidence: 0.99, samples: 9, liveHeapBytes: 50 * MiB, msToOom: 60000, projectedOomAt: Date.now() + 60000, oomBound: 'heap', reason: 'scripted' }]
      }
      memory() {
        return { rssBytes: 80 * MiB, peakRssBytes: 80 * MiB, samplerCpuMs: 0 }
      }
      stop() {}
    }
  }
  const wait = (ms) => new Promise((r) => setTimeout(r, ms))

  test('suspected growth takes rate-limited snapshots; their paths ride on later leak events', async () => {
    const labels = []
    // The watchdog keeps only snapshots that exist (retention may delete them).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-snaps-'))
    const takeSnapshot = (label) => {
      labels.push([label, Date.now()])
      fs.writeFileSync(path.join(dir, `${label}.heapsnapshot.gz`), '')
      return Promise.resolve({ path: path.join(dir, `${label}.heapsnapshot.gz`), bytes: 1 })
    }
    // Verdicts follow the snapshots taken, not the clock: suspected until the
    // first, a leak event once it is on disk, another once the second is.
    const events = []
    const leakOnce = (n) => {
      if (labels.length < n || events.includes(n)) return null
      events.push(n)
      return { state: 'leak', event: 'leak' }
    }
    const verdicts = () => (labels.length === 0 ? { state: 'suspected' } : leakOnce(1) || leakOnce(2) || { state: 'leak' })
    // Snapshots at least windowMs / 2 = 1 s apart: far more than a tick even on a loaded machine.
    const w = watch({ intervalMs: 10, windowMs: 2000, snapshots: 2 }, { NativeWatchdog: fakeNative(verdicts), takeSnapshot, report: false })
    const leaks = []
    const snaps = []
    w.on('leak', (e) => leaks.push(e))
    w.on('snapshot', (e) => snaps.push(e))
    await until(() => leaks.length === 2, 20000)
    w.stop()
    expect(labels.map((l) => l[0])).toEqual(['leak-1', 'leak-2'])
    expect(labels[1][1] - labels[0][1]).toBeGreaterThanOrEqual(995)
    const snap = (n) => path.join(dir, `leak-${n}.heapsnapshot.gz`)
    expect(snaps.map((s) => s.path)).toEqual([snap(1), snap(2)])
    expect(leaks[0].snapshots).toEqual([snap(1)])
    expect(leaks[1].snapshots).toEqual([snap(1), snap(2)])
    expect(leaks[0].projectedOomAt).toBeInstanceOf(Date)
    expect(w.stats().snapshots.length).toBe(2)
    fs.rmSync(dir, { recursive: true, force: true })
  })

  test("a failing snapshot becomes a process warning when nobody listens for 'error'; it is tried 3 times", async () => {
    const w = watch({ intervalMs: 10, windowMs: 200, snapshots: 1 }, {
      NativeWatchdog: fakeNative([{ state: 'suspected' }]),
      takeSnapshot: () => Promise.reject(Object.assign(new Error('disk full'), { code: 'ERR_LEAKWATCH_DISK_FULL' })),
    })
    const spy = jest.spyOn(process, 'emitWarning').mockImplementation(() => {})
    let calls
    try {
      for (let i = 0; i < 100 && spy.mock.calls.length < 3; i++) await wait(10)
      await wait(100)
    } finally {
      w.stop()
      calls = spy.mock.calls.slice()
      spy.mockRestore()
    }
    // A failed capture uses no slot: retried twice, then the watchdog takes no more.
    expect(calls.length).toBe(3)
    for (const c of calls) {
      expect(c[0]).toContain('disk full')
      expect(c[1]).toMatchObject({ code: 'ERR_LEAKWATCH_DISK_FULL' })
    }
  })

  test("...and an 'error' event when someone does", async () => {
    const w = watch({ intervalMs: 10, windowMs: 200, snapshots: 1 }, {
      NativeWatchdog: fakeNative([{ state: 'suspected' }]),
      takeSnapshot: () => {
        throw new Error('no capture module')
      },
    })
    const err = await new Promise((resolve) => w.once('error', resolve))
    w.stop()
    expect(err.message).toBe('no capture module')
  })

  test("a 'recovered' event follows the detector's decision", async () => {
    const w = watch({ intervalMs: 10, windowMs: 200 }, { NativeWatchdog: fakeNative([{ state: 'leak', event: 'leak' }, { state: 'steady', event: 'recovered' }, { state: 'steady' }]) })
    const got = []
    w.on('leak', () => got.push('leak'))
    const recovered = new Promise((resolve) => w.on('recovered', resolve))
    w.on('recovered', (e) => got.push(['recovered', e.windowMs]))
    await recovered
    w.stop()
    expect(got).toEqual(['leak', ['recovered', 200]])
  })
})

'use strict'

const { spawn } = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')
const { EventEmitter } = require('events')
const { watch, Watchdog, DEFAULTS } = require('../lib/watchdog')

const ROOT = path.join(__dirname, '..')
const WATCHDOG = path.join(ROOT, 'lib', 'watchdog.js')
const LEAKY = path.join(__dirname, 'fixtures', 'watch-leaky.js')
const MiB = 1024 * 1024

function runNode(args, { env = {}, timeoutMs = 20000 } = {}) {
  return new Promise((resolve) => {
    const started = Date.now()
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const lines = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l))
      resolve({ code, signal, stdout, stderr, lines, ms: Date.now() - started })
    })
  })
}

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
    expect(DEFAULTS).toMatchObject({ intervalMs: 5000, windowMs: 600000, confidence: 0.95 })
    const w = watch()
    try {
      expect(w).toBeInstanceOf(EventEmitter)
      expect(w).toBeInstanceOf(Watchdog)
      expect(w.options.windowMs).toBe(600000)
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

  test('the sampling thread exists while running and is joined by stop()', () => {
    const threads = () => fs.readdirSync('/proc/self/task').filter((t) => {
      try {
        return fs.readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim() === 'leakwatch-watch'
      } catch {
        return false
      }
    }).length
    const before = threads()
    const w = watch({ intervalMs: 1000 })
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
    expect(r.ms).toBeLessThan(5000)
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
    expect(r.ms).toBeLessThan(5000)
  })
})

describe('container limit', () => {
  test('v2 memory.max / memory.current from LEAKWATCH_CGROUP_ROOT', async () => {
    const dir = tmpCgroup({ 'memory.max': String(512 * MiB), 'memory.current': String(300 * MiB), 'memory.stat': `inactive_file ${100 * MiB}\n` })
    const code = `
      const w = require(${JSON.stringify(WATCHDOG)}).watch({ intervalMs: 20, windowMs: 1000 })
      w.once('stats', (s) => { console.log(JSON.stringify(s)); w.stop() })`
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
    expect(leak.windowMs).toBe(12000)
    expect(leak.samples).toBeGreaterThanOrEqual(5)
    expect(leak.liveHeapBytes).toBeGreaterThan(0)
    expect(leak.heapLimitBytes).toBeGreaterThan(leak.liveHeapBytes)
    expect(leak.memoryLimitBytes).toBe(2048 * MiB)
    expect(leak.rssBytes).toBeGreaterThan(0)
    expect(leak.msToOom).toBeGreaterThan(0)
    expect(leak.oomBound).toBe('container')
    // Container headroom / growth, within the slack of RSS moving meanwhile.
    const expected = ((leak.memoryLimitBytes - leak.rssBytes) / leak.growthBytesPerMin) * 60000
    expect(leak.msToOom / expected).toBeGreaterThan(0.8)
    expect(leak.msToOom / expected).toBeLessThan(1.25)
    expect(Date.parse(leak.projectedOomAt)).toBeGreaterThan(Date.now())
    expect(typeof leak.reason).toBe('string')
  })

  test('msToOom falls as the process approaches its container limit', async () => {
    const rss0 = 60 * MiB
    const dir = tmpCgroup({ 'memory.max': String(rss0 + 400 * MiB) })
    const r = await runNode(['--max-semi-space-size=1', LEAKY], {
      env: { LEAKWATCH_CGROUP_ROOT: dir, FAKE_CGROUP: dir, MAX_LEAKS: '4', MAX_MS: '70000', LEAK_STRENGTH: '4' },
      timeoutMs: 85000,
    })
    expect(r.code).toBe(0)
    const leaks = r.lines.filter((l) => l.type === 'leak')
    expect(leaks.length).toBeGreaterThanOrEqual(3)
    const headroom = leaks.map((l) => l.memoryLimitBytes - l.rssBytes)
    const ms = leaks.map((l) => l.msToOom)
    for (let i = 1; i < leaks.length; i++) expect(headroom[i]).toBeLessThan(headroom[i - 1])
    expect(ms[ms.length - 1]).toBeLessThan(ms[0])
  })
})

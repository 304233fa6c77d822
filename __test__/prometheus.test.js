'use strict'
// registerPrometheus() puts prom-client's own Gauge, Counter and Histogram on
// the user's registry (issue 13): checked against the real prom-client, its
// text parsed, its values the same as leakwatch's own metrics() text, which
// itself stays as it was.
const { execFileSync } = require('child_process')
const { EventEmitter } = require('events')
const fs = require('fs')
const path = require('path')
const v8 = require('v8')
const promClient = require('prom-client')
const { NODE, tempDir } = require('./helpers')
const { parsePrometheusText } = require('./prometheus-text')

const ROOT = path.join(__dirname, '..')
const parse = (text) => parsePrometheusText(text.endsWith('\n') ? text : text + '\n').families

// Samples of every family but the heap in use now (it moves between two reads),
// labels keyed in one order so prom-client's label order does not matter.
function comparable(families) {
  const out = {}
  for (const [name, f] of Object.entries(families)) {
    if (name === 'leakwatch_heap_used_bytes') continue
    out[name] = { type: f.type, help: f.help, samples: f.samples.map((s) => `${s.name}${JSON.stringify(Object.fromEntries(Object.entries(s.labels).sort()))} ${s.value}`).sort() }
  }
  return out
}

describe("leakwatch's own text", () => {
  // The exact text of 0.1.0 for one state (heap gauges masked): the move to
  // prom-client types changed nothing in what /metrics serves.
  test('is unchanged, sample for sample', () => {
    let m
    jest.isolateModules(() => { m = require('../lib/metrics') })
    const text = () => m.prometheusText().replace(/^(leakwatch_heap_(used|limit)_bytes) \d+$/mg, '$1 N')
    const wd = new EventEmitter()
    m.attachWatchdog(wd)
    wd.emit('stats', { liveHeapBytes: 5, growthBytesPerMin: 0, memoryLimitBytes: null, msToOom: null })
    expect(text()).toBe(fs.readFileSync(path.join(__dirname, 'fixtures', 'metrics-watchdog-quiet.txt'), 'utf8'))
    m.recordSnapshot('success', 'inline', 0.2, { path: '/a' })
    m.recordSnapshot('success', 'inline', 3, { path: '/b' })
    m.recordSnapshot('success', 'fork', 400, { path: '/c' })
    m.recordSnapshot('error', 'fork', 0, Object.assign(new Error('x'), { code: 'ERR_LEAKWATCH_IO' }))
    m.recordSnapshot('success', 'inline', 0.05, { path: '/d' })
    wd.emit('stats', { liveHeapBytes: 123456789, growthBytesPerMin: 1048576.5, memoryLimitBytes: 536870912, msToOom: 61500 })
    wd.emit('leak', {})
    expect(text()).toBe(fs.readFileSync(path.join(__dirname, 'fixtures', 'metrics-leak.txt'), 'utf8'))
  })
})

describe('registerPrometheus on the real prom-client', () => {
  const leakwatch = require('..')
  const metrics = require('../lib/metrics')
  const first = new promClient.Registry()
  let info

  beforeAll(async () => {
    leakwatch.registerPrometheus(first)
    info = await leakwatch.snapshot({ dir: tempDir('prom'), mode: 'inline' })
    const file = path.join(tempDir('prom-err'), 'file')
    fs.writeFileSync(file, 'x')
    await expect(leakwatch.snapshot({ dir: file, mode: 'inline' })).rejects.toMatchObject({ code: 'ERR_LEAKWATCH_DIR_NOT_WRITABLE' })
  })

  test("the registry holds prom-client's own metric types", () => {
    expect(first.getSingleMetric('leakwatch_live_heap_bytes')).toBeInstanceOf(promClient.Gauge)
    expect(first.getSingleMetric('leakwatch_snapshots_total')).toBeInstanceOf(promClient.Counter)
    expect(first.getSingleMetric('leakwatch_snapshot_duration_seconds')).toBeInstanceOf(promClient.Histogram)
  })

  test('its text has the published snapshots, observed, and the same samples as metrics()', async () => {
    const f = parse(await first.metrics())
    const count = (result) => f.leakwatch_snapshots_total.samples.find((s) => s.labels.result === result && s.labels.mode === 'inline').value
    expect([count('success'), count('error')]).toEqual([1, 1])
    const d = f.leakwatch_snapshot_duration_seconds
    expect(d.type).toBe('histogram')
    const seconds = info.durationMs / 1000
    const sample = (name, le) => d.samples.find((s) => s.name === name && s.labels.mode === 'inline' && s.labels.le === le).value
    expect(sample('leakwatch_snapshot_duration_seconds_sum')).toBeCloseTo(seconds, 9)
    expect(sample('leakwatch_snapshot_duration_seconds_count')).toBe(1)
    for (const le of metrics.SNAPSHOT_DURATION.buckets) {
      expect([le, sample('leakwatch_snapshot_duration_seconds_bucket', String(le))]).toEqual([le, seconds <= le ? 1 : 0])
    }
    expect(sample('leakwatch_snapshot_duration_seconds_bucket', '+Inf')).toBe(1)
    expect(f.leakwatch_heap_limit_bytes.samples[0].value).toBe(v8.getHeapStatistics().heap_size_limit)
    expect(f.leakwatch_heap_used_bytes.samples[0].value).toBeGreaterThan(0)
    // No watchdog: no sample rather than a 0 that would read as "OOM now".
    expect(f.leakwatch_time_to_oom_seconds.samples).toEqual([])
    expect(comparable(f)).toEqual(comparable(parse(leakwatch.metrics())))
  })

  test('the gauges follow the watchdog, and lose their sample when it has no value', async () => {
    const wd = new EventEmitter()
    metrics.attachWatchdog(wd)
    wd.emit('stats', { liveHeapBytes: 7e7, growthBytesPerMin: 2.5e6, memoryLimitBytes: 536870912, msToOom: 90500 })
    wd.emit('leak', {})
    let f = parse(await first.metrics())
    const value = (name) => f[name].samples.map((s) => s.value)
    expect([value('leakwatch_live_heap_bytes'), value('leakwatch_heap_growth_bytes_per_minute'), value('leakwatch_memory_limit_bytes'),
      value('leakwatch_time_to_oom_seconds'), value('leakwatch_leak_suspected')]).toEqual([[7e7], [2.5e6], [536870912], [90.5], [1]])
    wd.emit('stats', { liveHeapBytes: 7e7, growthBytesPerMin: 0, memoryLimitBytes: null, msToOom: null })
    wd.emit('recovered', {})
    f = parse(await first.metrics())
    expect([value('leakwatch_memory_limit_bytes'), value('leakwatch_time_to_oom_seconds'), value('leakwatch_leak_suspected')]).toEqual([[], [], [0]])
    expect(comparable(f)).toEqual(comparable(parse(leakwatch.metrics())))
  })

  test('a second registry reports the same; getMetricsAsJSON works; registering twice changes nothing', async () => {
    const second = new promClient.Registry()
    expect(leakwatch.registerPrometheus(second)).toBe(second)
    expect(leakwatch.registerPrometheus(first)).toBe(first)
    expect(comparable(parse(await second.metrics()))).toEqual(comparable(parse(await first.metrics())))
    const json = await second.getMetricsAsJSON()
    const hist = json.find((m) => m.name === 'leakwatch_snapshot_duration_seconds')
    expect(hist.type).toBe('histogram')
    expect(hist.values).toContainEqual(expect.objectContaining({ metricName: 'leakwatch_snapshot_duration_seconds_count', labels: { mode: 'inline' }, value: 1 }))
    expect(json.map((m) => m.name)).toEqual([...metrics.GAUGES.map(([name]) => name), 'leakwatch_snapshots_total', 'leakwatch_snapshot_duration_seconds'])
    // Merged as prom-client merges registries, each metric once.
    expect(parse(await promClient.Registry.merge([new promClient.Registry(), second]).metrics()).leakwatch_snapshots_total.type).toBe('counter')
  })

  test('bad arguments: coded errors, and nothing half-registered', () => {
    const invalid = expect.objectContaining({ code: 'ERR_LEAKWATCH_INVALID_OPTION' })
    expect(() => leakwatch.registerPrometheus({})).toThrow(invalid)
    expect(() => leakwatch.registerPrometheus(new promClient.Registry(), {})).toThrow(invalid)
    const theirs = new promClient.Registry()
    new promClient.Gauge({ name: 'leakwatch_leak_suspected', help: 'their own', registers: [theirs] })
    expect(() => leakwatch.registerPrometheus(theirs)).toThrow(expect.objectContaining({
      code: 'ERR_LEAKWATCH_INVALID_OPTION', message: expect.stringMatching(/leakwatch_leak_suspected/),
    }))
    expect(theirs.getMetricsAsArray().map((m) => m.name)).toEqual(['leakwatch_leak_suspected'])
  })
})

test('snapshots before the first registration: the first 10,000 are replayed, the counter keeps them all', async () => {
  let metrics, prometheus
  jest.isolateModules(() => {
    metrics = require('../lib/metrics')
    prometheus = require('../lib/prometheus')
  })
  for (let i = 0; i < 10001; i++) metrics.recordSnapshot('success', i % 2 ? 'fork' : 'inline', 0.5, { path: `/s${i}` })
  const register = prometheus.registerPrometheus(new promClient.Registry())
  metrics.recordSnapshot('success', 'fork', 0.5, { path: '/after' })
  const f = parse(await register.metrics())
  const count = (mode) => f.leakwatch_snapshot_duration_seconds.samples.find((s) => s.name.endsWith('_count') && s.labels.mode === mode).value
  const total = (mode) => f.leakwatch_snapshots_total.samples.find((s) => s.labels.mode === mode).value
  expect([count('inline'), count('fork')]).toEqual([5000, 5001])
  expect([total('inline'), total('fork')]).toEqual([5001, 5001])
})

describe('finding prom-client in an app of its own', () => {
  // An app whose node_modules holds a copy of the package and no prom-client,
  // as with strict installers (pnpm) or when prom-client sits elsewhere.
  let app
  beforeAll(() => {
    app = tempDir('prom-app')
    const pkg = path.join(app, 'node_modules', 'leakwatch')
    fs.mkdirSync(pkg, { recursive: true })
    for (const f of ['index.js', 'binding.js', 'package.json', 'lib', ...fs.readdirSync(ROOT).filter((n) => n.endsWith('.node'))]) {
      fs.cpSync(path.join(ROOT, f), path.join(pkg, f), { recursive: true })
    }
  })
  const run = (body) => JSON.parse(execFileSync(NODE, ['-e', `
    const leakwatch = require('leakwatch')
    const promClient = require(${JSON.stringify(require.resolve('prom-client'))})
    ;(async () => { ${body} })().then((r) => console.log(JSON.stringify(r)), (e) => console.log(JSON.stringify({ code: e.code, message: e.message })))`],
  { cwd: app, encoding: 'utf8', timeout: 60000 }).trim().split('\n').pop())

  test('none can be found: ERR_LEAKWATCH_PROM_CLIENT_NOT_FOUND, saying how to pass it', () => {
    const r = run('leakwatch.registerPrometheus({ registerMetric() {}, getSingleMetric() {} })')
    expect(r.code).toBe('ERR_LEAKWATCH_PROM_CLIENT_NOT_FOUND')
    expect(r.message).toMatch(/registerPrometheus\(register, require\('prom-client'\)\)/)
  })

  test("the registry's own prom-client is used, and snapshots from before are in the histogram", () => {
    const r = run(`
      const a = await leakwatch.snapshot({ dir: ${JSON.stringify(tempDir('prom-app-snaps'))}, mode: 'inline' })
      const register = new promClient.Registry()
      leakwatch.registerPrometheus(register)
      const text = await register.metrics()
      return { own: register.getSingleMetric('leakwatch_snapshot_duration_seconds') instanceof promClient.Histogram, text, seconds: a.durationMs / 1000 }`)
    expect(r.own).toBe(true)
    const d = parse(r.text).leakwatch_snapshot_duration_seconds.samples
    expect(d.find((s) => s.name.endsWith('_count')).value).toBe(1)
    expect(d.find((s) => s.name.endsWith('_sum')).value).toBeCloseTo(r.seconds, 9)
  })

  test('a prom-client passed as the second argument is used', () => {
    const r = run(`
      const register = { metrics: [], registerMetric(m) { this.metrics.push(m) }, getSingleMetric() {} }
      leakwatch.registerPrometheus(register, promClient)
      return { gauges: register.metrics.filter((m) => m instanceof promClient.Gauge).length, all: register.metrics.length }`)
    expect(r).toEqual({ gauges: 7, all: 9 })
  })
})

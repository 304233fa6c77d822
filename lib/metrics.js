'use strict'

// What leakwatch knows about this process, for /status and Prometheus:
// snapshot results and durations (recorded by the capture module) and the
// latest watchdog reading (from the watchdog's 'stats' events).
const v8 = require('v8')
const { invalidOption } = require('./errors')

const DURATION_BUCKETS = [0.05, 0.25, 1, 2.5, 5, 10, 30, 60, 120, 300]
const RECENT_SNAPSHOTS = 20

const state = {
  snapshots: new Map(), // `${result}|${mode}` -> count
  durations: new Map(), // mode -> { buckets: number[], sum, count }
  recent: [],
  watchdog: null, // latest 'stats' event
  leak: null, // latest 'leak' event while a leak is reported
}

function recordSnapshot(result, mode, seconds, infoOrError) {
  const key = `${result}|${mode}`
  state.snapshots.set(key, (state.snapshots.get(key) || 0) + 1)
  if (result === 'success') {
    let d = state.durations.get(mode)
    if (!d) state.durations.set(mode, (d = { buckets: DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 }))
    DURATION_BUCKETS.forEach((b, i) => { if (seconds <= b) d.buckets[i]++ })
    d.sum += seconds
    d.count++
  }
  state.recent.unshift({ at: new Date().toISOString(), result, mode, ...summarize(infoOrError) })
  state.recent.length = Math.min(state.recent.length, RECENT_SNAPSHOTS)
}

function summarize(x) {
  if (x instanceof Error) return { code: x.code, message: x.message }
  return { path: x.path, bytes: x.bytes, rawBytes: x.rawBytes, durationMs: x.durationMs, loopBlockedMs: x.loopBlockedMs }
}

/** Follows a watchdog so that /status and the metrics show its latest reading. */
function attachWatchdog(wd) {
  wd.on('stats', (s) => { state.watchdog = s })
  wd.on('leak', (l) => { state.leak = l })
  wd.on('recovered', () => { state.leak = null })
  // The watchdog's own analysis: its JSON form and its text.
  wd.on('report', (r) => { state.report = { at: new Date().toISOString(), ...r.toJSON(), text: String(r) } })
}

function status() {
  return {
    pid: process.pid,
    watchdog: state.watchdog,
    leak: state.leak,
    snapshots: state.recent,
    report: state.report || null,
  }
}

// Prometheus text format 0.0.4.
function escapeLabel(v) {
  return String(v).replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
}

function labels(obj) {
  const parts = Object.entries(obj).map(([k, v]) => `${k}="${escapeLabel(v)}"`)
  return parts.length ? `{${parts.join(',')}}` : ''
}

// Every metric leakwatch exports, fixed up front so prom-client can register
// them before a watchdog exists; each sample function reads state at scrape
// time and returns [labels, value, suffix?] rows (none when not applicable).
const watchdogGauge = (pick) => () => {
  const v = state.watchdog && pick(state.watchdog)
  return v == null ? [] : [[{}, v]]
}
const METRICS = [
  ['leakwatch_heap_used_bytes', 'gauge', 'V8 heap in use now, garbage included.',
    () => [[{}, v8.getHeapStatistics().used_heap_size]]],
  ['leakwatch_heap_limit_bytes', 'gauge', 'V8 heap size limit.',
    () => [[{}, v8.getHeapStatistics().heap_size_limit]]],
  ['leakwatch_live_heap_bytes', 'gauge', 'Live heap measured after the last major GC (watchdog).',
    watchdogGauge((w) => w.liveHeapBytes)],
  ['leakwatch_heap_growth_bytes_per_minute', 'gauge', 'Trend of the post-GC live heap: Theil-Sen slope over the watchdog window.',
    watchdogGauge((w) => w.growthBytesPerMin)],
  ['leakwatch_memory_limit_bytes', 'gauge', 'Container memory limit (cgroup), when there is one.',
    watchdogGauge((w) => w.memoryLimitBytes)],
  ['leakwatch_time_to_oom_seconds', 'gauge', 'Projected time until the heap or container limit is reached at the current trend.',
    watchdogGauge((w) => (w.msToOom == null ? null : w.msToOom / 1000))],
  ['leakwatch_leak_suspected', 'gauge', '1 while the watchdog reports a leak, else 0.',
    () => [[{}, state.leak ? 1 : 0]]],
  ['leakwatch_snapshots_total', 'counter', 'Heap snapshots taken, by result (success, error) and mode (fork, inline).',
    () => [...state.snapshots].map(([k, v]) => {
      const [result, mode] = k.split('|')
      return [{ result, mode }, v]
    })],
  ['leakwatch_snapshot_duration_seconds', 'histogram', 'Time from the request to the published snapshot file, by mode.',
    () => [...state.durations].flatMap(([mode, d]) => [
      ...DURATION_BUCKETS.map((b, i) => [{ mode, le: String(b) }, d.buckets[i], '_bucket']),
      [{ mode, le: '+Inf' }, d.count, '_bucket'],
      [{ mode }, d.sum, '_sum'],
      [{ mode }, d.count, '_count'],
    ])],
]

function prometheusText() {
  const lines = []
  for (const [name, type, help, samples] of METRICS) {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
    for (const [lbl, value, suffix = ''] of samples()) lines.push(`${name}${suffix}${labels(lbl)} ${Number(value)}`)
  }
  return lines.join('\n') + '\n'
}

/**
 * Adds the same metrics to a prom-client Registry, as collectors that read
 * leakwatch's state at scrape time. prom-client is an optional peer
 * dependency: only this function needs it, and only its Registry.
 */
function registerPrometheus(register) {
  if (!register || typeof register.registerMetric !== 'function') {
    throw invalidOption('register', 'expected a prom-client Registry')
  }
  for (const [name, type, help, samples] of METRICS) {
    register.registerMetric({
      name,
      help,
      type,
      get: async () => ({
        name,
        help,
        type,
        aggregator: 'sum',
        values: samples().map(([lbl, value, suffix = '']) => ({ labels: lbl, value: Number(value), metricName: name + suffix })),
      }),
      reset() {},
    })
  }
  return register
}

module.exports = { recordSnapshot, attachWatchdog, status, prometheusText, registerPrometheus, state }

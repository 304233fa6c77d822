'use strict'

// What leakwatch knows about this process, for /status and Prometheus:
// snapshot results and durations (recorded by lib/publish.js, the one place
// that counts) and the latest watchdog reading (from its 'stats' events).
// The metric definitions below serve both exports: the text of `metrics()`
// here, and the prom-client metrics of lib/prometheus.js.
const v8 = require('v8')

const DURATION_BUCKETS = [0.05, 0.25, 1, 2.5, 5, 10, 30, 60, 120, 300]
const RECENT_SNAPSHOTS = 20

const state = {
  snapshots: new Map(), // `${result}|${mode}` -> count
  durations: new Map(), // mode -> { buckets: number[], sum, count }
  recent: [],
  watchdog: null, // latest 'stats' event
  leak: null, // latest 'leak' event while a leak is reported
}

// Whoever wants each successful snapshot's duration as it is recorded (the
// prom-client histogram); called with (mode, seconds).
const durationObservers = new Set()

function recordSnapshot(result, mode, seconds, infoOrError) {
  const key = `${result}|${mode}`
  state.snapshots.set(key, (state.snapshots.get(key) || 0) + 1)
  if (result === 'success') {
    let d = state.durations.get(mode)
    if (!d) state.durations.set(mode, (d = { buckets: DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 }))
    DURATION_BUCKETS.forEach((b, i) => { if (seconds <= b) d.buckets[i]++ })
    d.sum += seconds
    d.count++
    for (const observe of durationObservers) observe(mode, seconds)
  }
  state.recent.unshift({ at: new Date().toISOString(), result, mode, ...summarize(infoOrError) })
  state.recent.length = Math.min(state.recent.length, RECENT_SNAPSHOTS)
}

function summarize(x) {
  if (x instanceof Error) return { code: x.code, message: x.message }
  return { path: x.path, bytes: x.bytes, rawBytes: x.rawBytes, durationMs: x.durationMs, loopBlockedMs: x.loopBlockedMs }
}

/** Snapshot counts as [{ result, mode }, count] rows. */
function snapshotCounts() {
  return [...state.snapshots].map(([k, v]) => {
    const [result, mode] = k.split('|')
    return [{ result, mode }, v]
  })
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

// The gauges: [name, help, read], read() giving the value now, or null when
// there is none (no watchdog yet, no container limit, not growing): such a
// gauge has no sample, since 0 would claim a value (time to OOM: now).
const fromWatchdog = (pick) => () => (state.watchdog ? pick(state.watchdog) : null)
const GAUGES = [
  ['leakwatch_heap_used_bytes', 'V8 heap in use now, garbage included.', () => v8.getHeapStatistics().used_heap_size],
  ['leakwatch_heap_limit_bytes', 'V8 heap size limit.', () => v8.getHeapStatistics().heap_size_limit],
  ['leakwatch_live_heap_bytes', 'Live heap measured after the last major GC (watchdog).', fromWatchdog((w) => w.liveHeapBytes)],
  ['leakwatch_heap_growth_bytes_per_minute', 'Trend of the post-GC live heap: Theil-Sen slope over the watchdog window.',
    fromWatchdog((w) => w.growthBytesPerMin)],
  ['leakwatch_memory_limit_bytes', 'Container memory limit (cgroup), when there is one.', fromWatchdog((w) => w.memoryLimitBytes)],
  ['leakwatch_time_to_oom_seconds', 'Projected time until the heap or container limit is reached at the current trend.',
    fromWatchdog((w) => (w.msToOom == null ? null : w.msToOom / 1000))],
  ['leakwatch_leak_suspected', '1 while the watchdog reports a leak, else 0.', () => (state.leak ? 1 : 0)],
]
const SNAPSHOTS_TOTAL = {
  name: 'leakwatch_snapshots_total',
  help: 'Heap snapshots taken, by result (success, error) and mode (fork, inline).',
  labelNames: ['result', 'mode'],
}
const SNAPSHOT_DURATION = {
  name: 'leakwatch_snapshot_duration_seconds',
  help: 'Time from the request to the published snapshot file, by mode.',
  labelNames: ['mode'],
  buckets: DURATION_BUCKETS,
}

// Prometheus text format 0.0.4.
function escapeLabel(v) {
  return String(v).replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
}

function labels(obj) {
  const parts = Object.entries(obj).map(([k, v]) => `${k}="${escapeLabel(v)}"`)
  return parts.length ? `{${parts.join(',')}}` : ''
}

function family(name, type, help, rows) {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`]
  for (const [lbl, value, suffix = ''] of rows) lines.push(`${name}${suffix}${labels(lbl)} ${Number(value)}`)
  return lines
}

function prometheusText() {
  const lines = []
  for (const [name, help, read] of GAUGES) {
    const v = read()
    lines.push(...family(name, 'gauge', help, v == null ? [] : [[{}, v]]))
  }
  lines.push(...family(SNAPSHOTS_TOTAL.name, 'counter', SNAPSHOTS_TOTAL.help, snapshotCounts()))
  lines.push(...family(SNAPSHOT_DURATION.name, 'histogram', SNAPSHOT_DURATION.help, [...state.durations].flatMap(([mode, d]) => [
    ...DURATION_BUCKETS.map((b, i) => [{ mode, le: String(b) }, d.buckets[i], '_bucket']),
    [{ mode, le: '+Inf' }, d.count, '_bucket'],
    [{ mode }, d.sum, '_sum'],
    [{ mode }, d.count, '_count'],
  ])))
  return lines.join('\n') + '\n'
}

module.exports = {
  recordSnapshot,
  attachWatchdog,
  status,
  prometheusText,
  state,
  snapshotCounts,
  durationObservers,
  GAUGES,
  SNAPSHOTS_TOTAL,
  SNAPSHOT_DURATION,
}

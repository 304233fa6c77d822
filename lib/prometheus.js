'use strict'

// leakwatch's metrics as prom-client's own Gauge, Counter and Histogram, for
// services that serve their own prom-client registry. prom-client is an
// optional peer dependency: nothing here loads it before registerPrometheus()
// is called. The metrics are made once, with the first prom-client found, and
// the same objects are registered on every registry given (prom-client's
// `registers: [a, b]`), so two registries report the same observations.
const { GAUGES, SNAPSHOTS_TOTAL, SNAPSHOT_DURATION, snapshotCounts, durationObservers } = require('./metrics')
const { LeakwatchError, invalidOption } = require('./errors')

// Durations of snapshots published before the histogram exists (mode ->
// seconds, 8 bytes each), replayed into it when it is made. Bounded, since a
// service may never call registerPrometheus(); past the bound the counter
// stays exact and the histogram's count falls short of it.
const MAX_REPLAYED = 10000
let pending = new Map()
let pendingCount = 0
const retain = (mode, seconds) => {
  if (pendingCount >= MAX_REPLAYED) return
  if (!pending.has(mode)) pending.set(mode, [])
  pending.get(mode).push(seconds)
  pendingCount++
}
durationObservers.add(retain)

let made = null // the prom-client metrics, once made

function isPromClient(m) {
  return m != null && ['Registry', 'Gauge', 'Counter', 'Histogram'].every((k) => typeof m[k] === 'function')
}

/**
 * The prom-client that made `register` (found among the loaded modules, so a
 * service with its own copy, or two copies, gets the right one), else the one
 * leakwatch itself can require; null when there is none.
 */
function findPromClient(register) {
  for (const [id, mod] of Object.entries(require.cache)) {
    if (!/[\\/]prom-client[\\/]/.test(id)) continue
    const m = mod && mod.exports
    if (isPromClient(m) && register instanceof m.Registry) return { promClient: m }
  }
  try {
    return { promClient: require('prom-client') }
  } catch (err) {
    return { promClient: null, cause: err }
  }
}

function notFound(cause) {
  return new LeakwatchError('ERR_LEAKWATCH_PROM_CLIENT_NOT_FOUND',
    'registerPrometheus needs prom-client: the registry was not made by a loaded prom-client and leakwatch cannot ' +
    `require it (${cause ? cause.message.split('\n')[0] : 'not installed'}). Install it (npm install prom-client) ` +
    "or pass it: registerPrometheus(register, require('prom-client'))", cause ? { cause } : undefined)
}

function make(pc) {
  const unregistered = { registers: [] }
  const gauges = GAUGES.map(([name, help, read]) => new pc.Gauge({
    name,
    help,
    ...unregistered,
    collect() {
      const v = read()
      // No sample rather than 0 when there is no value (see lib/metrics.js).
      if (v == null) this.remove()
      else this.set(v)
    },
  }))
  // The count lives in lib/metrics.js; the counter reads it at scrape time.
  const total = new pc.Counter({
    ...SNAPSHOTS_TOTAL,
    labelNames: [...SNAPSHOTS_TOTAL.labelNames],
    ...unregistered,
    collect() {
      this.reset()
      for (const [labels, n] of snapshotCounts()) this.inc(labels, n)
    },
  })
  const duration = new pc.Histogram({
    ...SNAPSHOT_DURATION,
    labelNames: [...SNAPSHOT_DURATION.labelNames],
    buckets: [...SNAPSHOT_DURATION.buckets],
    ...unregistered,
  })
  const observe = (mode, seconds) => duration.observe({ mode }, seconds)
  for (const [mode, all] of pending) for (const seconds of all) observe(mode, seconds)
  durationObservers.delete(retain)
  pending = new Map()
  durationObservers.add(observe)
  return [...gauges, total, duration]
}

/**
 * Registers leakwatch's metrics (the ones `metrics()` serves) on a prom-client
 * Registry, as prom-client Gauges read at scrape time, a Counter and a
 * Histogram observed as each snapshot is published. `promClient` is the
 * prom-client module, needed only where the registry's own cannot be found
 * (see findPromClient). Registering on the same registry twice is a no-op.
 * Returns `register`.
 * Throws ERR_LEAKWATCH_INVALID_OPTION for a `register` that is no Registry or
 * already has another metric of one of these names (nothing is registered
 * then), ERR_LEAKWATCH_PROM_CLIENT_NOT_FOUND when no prom-client can be found.
 */
function registerPrometheus(register, promClient) {
  if (!register || typeof register.registerMetric !== 'function' || typeof register.getSingleMetric !== 'function') {
    throw invalidOption('register', 'expected a prom-client Registry')
  }
  if (promClient !== undefined && !isPromClient(promClient)) {
    throw invalidOption('promClient', "expected the prom-client module, require('prom-client')")
  }
  if (!made) {
    const found = promClient ? { promClient } : findPromClient(register)
    if (!found.promClient) throw notFound(found.cause)
    made = make(found.promClient)
  }
  const taken = made.find((m) => {
    const other = register.getSingleMetric(m.name)
    return other && other !== m
  })
  if (taken) throw invalidOption('register', `it already has another metric named ${taken.name}`)
  for (const m of made) register.registerMetric(m)
  return register
}

module.exports = { registerPrometheus }

'use strict'

const { forkProven, isBusy } = require('./lib/capture')
const { snapshot, publish } = require('./lib/publish')
const { onSignal } = require('./lib/signals')
const { events } = require('./lib/events')
const { onSnapshot, flushSinks } = require('./lib/sinks')
const metrics = require('./lib/metrics')
const { registerPrometheus } = require('./lib/prometheus')
const { LeakwatchError } = require('./lib/errors')
const { defaultDir } = require('./lib/options')

const RELAYED = ['stats', 'leak', 'recovered', 'evidence']

/**
 * Starts a watchdog. Its snapshots go through the capture module, /status and
 * the metrics follow it, and its events are also emitted on `events`.
 */
function watch(opts) {
  // snapOpts are watch()'s `snapshot` option, validated by captureOptions.
  const wd = require('./lib/watchdog').watch(opts, { takeSnapshot: (label, snapOpts) => publish({ ...snapOpts, label }) })
  metrics.attachWatchdog(wd)
  for (const name of RELAYED) wd.on(name, (payload) => events.emit(name, payload))
  return wd
}

module.exports = {
  events,
  snapshot,
  onSignal,
  watch,
  onSnapshot,
  flushSinks,
  metrics: metrics.prometheusText,
  registerPrometheus,
  status: metrics.status,
  express: (opts) => require('./lib/express').router(opts),
  analyze: (files, opts) => require('./lib/analyze').analyze(files, opts),
  allocationSites: (profiles) => require('./lib/analyze').allocationSites(profiles),
  measureGrowth: (fn, opts) => require('./lib/growth').measureGrowth(fn, opts),
  assertNoLeak: (fn, opts) => require('./lib/growth').assertNoLeak(fn, opts),
  isBusy,
  forkProven,
  defaultDir,
  LeakwatchError,
  get SamplingProfiler() {
    return require('./lib/sampling-profiler').SamplingProfiler
  },
}

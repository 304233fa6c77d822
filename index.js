'use strict'

const { snapshot, forkProven, isBusy } = require('./lib/capture')
const { onSignal } = require('./lib/signals')
const { events } = require('./lib/events')
const { onSnapshot, flushSinks } = require('./lib/sinks')
const metrics = require('./lib/metrics')
const { LeakwatchError } = require('./lib/errors')
const { defaultDir } = require('./lib/options')

module.exports = {
  events,
  snapshot,
  onSignal,
  onSnapshot,
  flushSinks,
  metrics: metrics.prometheusText,
  registerPrometheus: metrics.registerPrometheus,
  status: metrics.status,
  express: (opts) => require('./lib/express').router(opts),
  analyze: (files, opts) => require('./lib/analyze').analyze(files, opts),
  isBusy,
  forkProven,
  defaultDir,
  LeakwatchError,
}

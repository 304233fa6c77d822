'use strict'

const { EventEmitter } = require('events')
const { snapshot, forkProven } = require('./lib/capture')
const { onSignal } = require('./lib/signals')
const { LeakwatchError } = require('./lib/errors')
const { defaultDir } = require('./lib/options')

/** Emits 'snapshot' and 'error' for signal-triggered snapshots. */
const events = new EventEmitter()

module.exports = {
  events,
  snapshot,
  onSignal: (signal, opts) => onSignal(events, signal, opts),
  forkProven,
  defaultDir,
  LeakwatchError,
}

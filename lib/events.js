'use strict'

// The one EventEmitter behind `leakwatch.events`.
const { EventEmitter } = require('events')

const events = new EventEmitter()

// An 'error' event without a listener throws, which would crash the host
// process; a process warning is the safe fallback.
function emitError(err) {
  if (events.listenerCount('error') > 0) events.emit('error', err)
  else process.emitWarning(`${err.code || 'ERR_LEAKWATCH_INTERNAL'}: ${err.message}`, { code: err.code || 'ERR_LEAKWATCH_INTERNAL' })
}

module.exports = { events, emitError }

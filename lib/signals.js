'use strict'

const { captureOptions, signalName } = require('./options')
const { publish, isBusy } = require('./publish')
const { events, emitError } = require('./events')

/**
 * Takes a snapshot on each `signal`. Signals that arrive while a snapshot is
 * in flight are counted and answered by one follow-up snapshot, so a burst
 * never queues unbounded work. Our listener sits beside the user's own
 * `process.on(signal)` listeners; `close()` removes only ours.
 */
function onSignal(signal = 'SIGUSR2', opts) {
  const sig = signalName(signal)
  const o = captureOptions(opts)
  let closed = false
  let running = false
  let pending = 0

  async function run(coalesced) {
    running = true
    try {
      const info = await publish(o)
      events.emit('snapshot', { ...info, signal: sig, coalesced })
    } catch (err) {
      emitError(err)
    } finally {
      running = false
      if (pending > 0 && !closed) {
        const n = pending
        pending = 0
        run(n)
      }
    }
  }

  function handler() {
    if (closed) return
    if (running || isBusy()) {
      pending++
      return
    }
    run(0)
  }

  process.on(sig, handler)
  return {
    signal: sig,
    close() {
      if (closed) return
      closed = true
      process.removeListener(sig, handler)
    },
  }
}

module.exports = { onSignal }

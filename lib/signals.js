'use strict'

const { captureOptions, signalName, usableSnapshotDir } = require('./options')
const { publish, isBusy } = require('./publish')
const { events, emitError } = require('./events')
const { LeakwatchError } = require('./errors')
const native = require('./native')

// Node delivers signals to the main thread's `process` only: a listener added
// in a Worker is never called, and the signal's default action (for SIGUSR2:
// terminate) takes the whole process down. Refusing at once is the only honest
// answer a Worker can get.
function requireMainThread() {
  if (native.isInitialThread()) return
  throw new LeakwatchError('ERR_LEAKWATCH_NOT_MAIN_THREAD',
    'onSignal() must be called on the main thread: Node delivers signals only there, so a listener ' +
    'in a Worker would never run and the signal would terminate the process. Call onSignal() on the ' +
    'main thread, or call snapshot() in the Worker when the main thread asks it to (worker.postMessage)')
}

// A service restarted after a crash (an OOM kill, often) removes what the dead
// writer left before its first snapshot, not at it; sweeping is best effort.
function sweep(dir) {
  try {
    native.sweepTempFiles(dir)
  } catch {}
}

/**
 * Takes a snapshot on each `signal`. Signals that arrive while a snapshot is
 * in flight are counted and answered by one follow-up snapshot, so a burst
 * never queues unbounded work. Our listener sits beside the user's own
 * `process.on(signal)` listeners; `close()` removes only ours. Throws
 * ERR_LEAKWATCH_NOT_MAIN_THREAD in a Worker. Temporary files that dead writers
 * left in the directory are removed at once.
 */
function onSignal(signal, opts) {
  const sig = signalName(signal)
  const o = captureOptions(opts)
  requireMainThread()
  usableSnapshotDir(o)
  sweep(o.dir)
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

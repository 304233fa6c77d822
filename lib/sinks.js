'use strict'

// Snapshot sinks: async hooks that run after each published snapshot, for
// example to ship it to object storage before the container is recycled. A
// failing sink is reported and never deletes or moves the local file.
const { LeakwatchError, invalidOption } = require('./errors')
const { emitError } = require('./events')

const hooks = new Set()
const pending = new Set()

/** Registers `fn(info)`; returns a function that unregisters it. */
function onSnapshot(fn) {
  if (typeof fn !== 'function') throw invalidOption('onSnapshot', 'expected a function')
  hooks.add(fn)
  return () => hooks.delete(fn)
}

async function runOne(fn, info) {
  try {
    await fn(info)
  } catch (err) {
    emitError(new LeakwatchError('ERR_LEAKWATCH_SINK_FAILED',
      `snapshot sink failed: ${err && err.message}; the snapshot stays at ${info.path}`,
      { path: info.path, cause: err }))
  }
}

/** Starts every sink for `info` without waiting for them. */
function runSinks(info) {
  for (const fn of hooks) {
    const p = runOne(fn, info)
    pending.add(p)
    p.finally(() => pending.delete(p))
  }
}

/** Resolves once every sink started so far has finished (for example on SIGTERM). */
async function flushSinks() {
  while (pending.size) await Promise.all([...pending])
}

module.exports = { onSnapshot, runSinks, flushSinks }

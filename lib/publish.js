'use strict'

// Publishing a snapshot: the one place where a capture is counted in the
// metrics and handed to the user's sinks. Only callers that take snapshots
// for the user publish (the snapshot() API, signals, the router, the
// watchdog); assertNoLeak's throwaway snapshots go through lib/capture.js
// alone and reach neither.
const { capture, isBusy, resolveMode } = require('./capture')
const { captureOptions } = require('./options')
const metrics = require('./metrics')
const { runSinks } = require('./sinks')

/** Captures with validated options `o`, then counts and hands the result to the sinks. */
async function publish(o) {
  let info
  try {
    info = await capture(o)
  } catch (err) {
    // A refusal because another snapshot is in flight took no snapshot.
    if (err.code !== 'ERR_LEAKWATCH_BUSY') {
      metrics.recordSnapshot('error', o.mode === 'auto' ? resolveMode('auto') : o.mode, 0, err)
    }
    throw err
  }
  metrics.recordSnapshot('success', info.mode, info.durationMs / 1000, info)
  runSinks(info)
  return info
}

/** The public snapshot(opts): validates, captures, publishes. */
async function snapshot(opts) {
  return publish(captureOptions(opts))
}

module.exports = { publish, snapshot, isBusy }

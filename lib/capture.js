'use strict'

const v8 = require('v8')
const { performance } = require('perf_hooks')
const native = require('./native')
const { LeakwatchError, fromNative } = require('./errors')
const { captureOptions } = require('./options')

// Fork mode is the default only where `npm run stress:fork` delivered every
// snapshot under allocation load (bench/results/stress-fork.json).
const FORK_PROVEN = {
  platform: 'linux',
  arches: new Set(['x64']),
  majors: new Set([20, 22, 24, 26]),
}
const NEWEST_PROVEN = Math.max(...FORK_PROVEN.majors)
// Retrying makes sense only for failures a new child may not repeat.
const RETRYABLE = new Set(['ERR_LEAKWATCH_CHILD_HUNG', 'ERR_LEAKWATCH_FORK_FAILED'])

let inFlight = false
let trialWarned = false

function currentPlatform() {
  return {
    major: Number(process.versions.node.split('.')[0]),
    platform: process.platform,
    arch: process.arch,
    initialThread: native.isInitialThread(),
  }
}

/**
 * What `mode: 'auto'` does on a platform: 'proven' (fork, falling back to
 * inline after `forkAttempts`), 'trial' (a Node major newer than every proven
 * one: fork, supervised, but no inline fallback, see README "Supported Node
 * versions") or 'inline' (fork impossible or known unfit).
 */
function forkPolicy(p = currentPlatform()) {
  if (p.platform !== FORK_PROVEN.platform || !FORK_PROVEN.arches.has(p.arch) || !p.initialThread) return 'inline'
  if (FORK_PROVEN.majors.has(p.major)) return 'proven'
  return p.major > NEWEST_PROVEN ? 'trial' : 'inline'
}

function forkProven() {
  return forkPolicy() === 'proven'
}

function resolveMode(mode) {
  if (mode === 'auto') return forkPolicy() === 'inline' ? 'inline' : 'fork'
  if (mode === 'fork' && (process.platform !== 'linux' || !native.isInitialThread())) {
    throw new LeakwatchError('ERR_LEAKWATCH_FORK_UNSUPPORTED',
      'fork mode needs Linux and the main thread; use mode "inline" or "auto"')
  }
  return mode
}

function warnTrialOnce() {
  if (trialWarned) return
  trialWarned = true
  process.emitWarning(`leakwatch: fork mode is not proven on Node ${process.versions.node} ` +
    `(proven: ${[...FORK_PROVEN.majors].join(', ')}); 'auto' uses it under supervision and does not ` +
    'fall back to an inline snapshot, which would block the event loop', { code: 'LEAKWATCH_FORK_TRIAL' })
}

// On a trial major a failing fork is reported, not replaced by an inline
// snapshot: the caller asked for a snapshot, not for seconds of blocked loop.
function trialFailure(err, attempts) {
  return new LeakwatchError(err.code, `${err.message} (after ${attempts} fork attempts on Node ` +
    `${process.versions.node}, where fork mode is not proven yet; 'auto' does not block the event loop ` +
    'with an inline snapshot there: pass mode "inline" to accept that)')
}

function begin(o, forked) {
  const hs = v8.getHeapStatistics()
  try {
    // The addon checks the options again by the same schema: callers add
    // `label` (the watchdog) or `reserveBytes` to options already resolved.
    return native.beginCapture(o, {
      heapUsed: hs.used_heap_size,
      heapTotal: hs.total_heap_size,
      forked,
      reserveBytes: o.reserveBytes,
    })
  } catch (err) {
    throw fromNative(err)
  }
}

async function finish(job, failure) {
  try {
    return await job.finish(failure)
  } catch (err) {
    throw fromNative(err)
  }
}

// Runs in the forked child only: it has one thread and must never return to
// the event loop, so it ends with _exit whatever happens.
function writeInChild(writePath) {
  let code = 0
  try {
    v8.writeHeapSnapshot(writePath)
  } catch {
    code = 1
  }
  native.childExit(code)
}

async function captureInline(o) {
  const t0 = performance.now()
  const job = begin(o, false)
  let failure = null
  try {
    v8.writeHeapSnapshot(job.writePath)
  } catch (err) {
    failure = String(err && err.message)
  }
  const loopBlockedMs = performance.now() - t0
  return { ...(await finish(job, failure)), mode: 'inline', loopBlockedMs }
}

async function captureForked(o) {
  const t0 = performance.now()
  const job = begin(o, true)
  let pid
  try {
    // Joins V8's concurrent sweeper so no GC job is in flight at fork time.
    v8.getHeapCodeStatistics()
    pid = job.fork()
  } catch (err) {
    await finish(job, 'fork failed').catch(() => {})
    throw fromNative(err)
  }
  if (pid === 0) writeInChild(job.writePath)
  const loopBlockedMs = performance.now() - t0
  // The supervisor waits for the child on a libuv pool thread, and Node joins
  // that pool when the process exits: without this, process.exit() would wait
  // for the snapshot (minutes on a big heap). The child is ours to end.
  const endChild = () => {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {}
  }
  process.once('exit', endChild)
  try {
    return { ...(await finish(job, null)), mode: 'fork', loopBlockedMs }
  } finally {
    process.removeListener('exit', endChild)
  }
}

async function captureWithRetries(o) {
  const mode = resolveMode(o.mode)
  if (mode === 'inline') return { ...(await captureInline(o)), attempts: 1 }
  const trial = o.mode === 'auto' && forkPolicy() === 'trial'
  if (trial) warnTrialOnce()
  let lastError
  for (let attempt = 1; attempt <= o.forkAttempts; attempt++) {
    try {
      return { ...(await captureForked(o)), attempts: attempt }
    } catch (err) {
      lastError = err
      if (!RETRYABLE.has(err.code)) throw err
    }
  }
  if (o.mode === 'fork') throw lastError
  if (trial) throw trialFailure(lastError, o.forkAttempts)
  const info = await captureInline(o)
  return { ...info, attempts: o.forkAttempts + 1, fallbackReason: `${lastError.code}: ${lastError.message}` }
}

/**
 * Takes one snapshot and returns what it wrote; nothing else happens: no
 * metric, no sink. Callers that publish use lib/publish.js. Rejects with
 * ERR_LEAKWATCH_BUSY while another is in flight.
 */
async function snapshot(opts) {
  return capture(captureOptions(opts))
}

/** Same as snapshot() with options already through captureOptions(). */
async function capture(o) {
  if (inFlight) {
    throw new LeakwatchError('ERR_LEAKWATCH_BUSY', 'a snapshot is already being taken')
  }
  inFlight = true
  const t0 = performance.now()
  try {
    const info = await captureWithRetries(o)
    return {
      path: info.path,
      bytes: info.bytes,
      rawBytes: info.rawBytes,
      mode: info.mode,
      durationMs: performance.now() - t0,
      loopBlockedMs: info.loopBlockedMs,
      attempts: info.attempts,
      ...(info.fallbackReason ? { fallbackReason: info.fallbackReason } : {}),
      ...(o.label ? { label: o.label } : {}),
      ...(o.redact ? { redacted: true } : {}),
      deleted: info.deleted,
    }
  } finally {
    inFlight = false
  }
}

function isBusy() {
  return inFlight
}

module.exports = { snapshot, capture, isBusy, forkProven, forkPolicy, resolveMode }

'use strict'

// The watchdog's snapshots: few (options.snapshots over its life), one at a
// time, and each slot used only by a snapshot that exists, so that the
// report (lib/watchdog-report.js) gets the snapshots it waits for, or is
// told it never will. `left`, `inFlight` and `paths` are read by the
// evidence policy (lib/watchdog-evidence.js) and the watchdog's events.

const fs = require('fs')
const { performance } = require('perf_hooks')
const { LeakwatchError, fromNative } = require('./errors')

// A failed watchdog capture gives its slot back and is retried at a later
// tick, each retry after twice the pause before it (intervalMs, 2x, 4x ...):
// up to SNAPSHOT_ATTEMPTS failures in a row, or that many of its snapshots
// lost to retention. Then the watchdog gives up (see _giveUpSnapshots).
const SNAPSHOT_ATTEMPTS = 3
// Refusals no retry can change (a directory can be fixed, so
// ERR_LEAKWATCH_DIR_NOT_WRITABLE is retried).
const PERMANENT_CAPTURE_ERRORS = new Set([
  'ERR_LEAKWATCH_FORK_UNSUPPORTED', 'ERR_LEAKWATCH_INVALID_OPTION', 'ERR_LEAKWATCH_NOT_MAIN_THREAD',
])
class WatchdogSnapshots {
  /** `wd`: the Watchdog (options, _takeSnapshot, _evidence, _report, emit, _warn). */
  constructor(wd) {
    this._wd = wd
    this.left = wd.options.snapshots
    this.inFlight = false
    this.lastAt = -Infinity
    this.paths = []
    this.taken = 0
    this.failures = 0
    this.lost = 0
    this.retryAt = -Infinity
    this.deferred = false
    this.gaveUp = false
  }

  // Snapshots stop the event loop for seconds on big heaps, so they are few
  // (options.snapshots over the watchdog's life), one at a time, and at least
  // half a window apart: enough for a baseline and later comparisons.
  // When OOM is near (plan.snapshotNow) the first one starts at once, with the
  // host's growth during the capture reserved by the headroom guard.
  // A slot is used only by a snapshot that exists: a failed capture is retried
  // (_failed), one deleted by retention is retaken (_keepExisting).
  maybeTake(plan) {
    const wd = this._wd
    const now = performance.now()
    if (this.left <= 0 || this.inFlight || this.gaveUp || now < this.retryAt) return
    if (!plan.snapshotNow && now - this.lastAt < wd.options.windowMs / 2) return
    this.inFlight = true
    const userLabel = wd.options.snapshot.label
    const label = `${userLabel ? userLabel + '-' : ''}leak-${this.taken + 1}`
    let p
    try {
      p = Promise.resolve(wd._takeSnapshot(label, { ...wd.options.snapshot, reserveBytes: plan.reserveBytes }))
    } catch (err) {
      p = Promise.reject(err)
    }
    p.then(
      (res) => {
        this.inFlight = false
        if (!res || typeof res.path !== 'string') {
          this._failed(new LeakwatchError('ERR_LEAKWATCH_INTERNAL', 'the snapshot function resolved without a path'))
          return
        }
        this.taken++
        this.failures = 0
        this.deferred = false
        this.lastAt = now
        this.paths.push(res.path)
        this._keepExisting()
        this.left = this.gaveUp ? 0 : Math.max(0, wd.options.snapshots - this.paths.length)
        const heapProfile = wd._stopped ? null : wd._evidence.afterSnapshot(res)
        if (wd._stopped) return
        wd.emit('snapshot', { ...res, label, heapProfile })
        if (!this.gaveUp && this.left === 0 && wd._report) wd._report.ready(this.paths.slice())
      },
      (err) => {
        this.inFlight = false
        this._failed(fromNative(err))
      },
    )
  }

  _failed(err) {
    const wd = this._wd
    if (wd._stopped) return
    // Another snapshot in flight (the user's own, a signal's): nothing was
    // tried and nothing is lost; it ends within its own timeoutMs, and the
    // next tick tries again. Not counted; said once per wait, as 'evidence'.
    if (err.code === 'ERR_LEAKWATCH_BUSY') {
      if (!this.deferred) {
        this.deferred = true
        wd.emit('evidence', { type: 'snapshot-deferred', code: err.code, reason: `${err.message}: the watchdog's snapshot ${this.taken + 1} waits for it` })
      }
      return
    }
    this.deferred = false
    this.failures++
    wd._warn(err)
    if (PERMANENT_CAPTURE_ERRORS.has(err.code) || this.failures >= SNAPSHOT_ATTEMPTS) {
      this._giveUp(`${this.failures === 1 ? 'the capture' : `${this.failures} captures in a row`} failed, the last with ${err.code}: ${err.message}`, err)
    } else {
      this.retryAt = performance.now() + wd.options.intervalMs * 2 ** (this.failures - 1)
    }
  }

  // Retention (snapshot.maxFiles, counting the user's own snapshots in the
  // same directory) or a person may delete a snapshot before the report: it
  // is dropped and its slot retaken, a bounded number of times.
  _keepExisting() {
    const wd = this._wd
    const kept = this.paths.filter((p) => fs.existsSync(p))
    const lost = this.paths.length - kept.length
    if (lost === 0) return
    this.paths = kept
    this.lost += lost
    if (this.lost >= SNAPSHOT_ATTEMPTS) {
      this._giveUp(`${this.lost} of its snapshots were deleted before the report (retention: snapshot.maxFiles ${wd.options.snapshot.maxFiles || 'unset'}, which the directory's other snapshots count against)`, null)
    }
  }

  // No more watchdog snapshots. The report, if one was planned, is made from
  // the snapshots there are when at least 2 exist (a partial report, which
  // says so), else it cannot be: ERR_LEAKWATCH_REPORT_FAILED says why.
  _giveUp(why, cause) {
    this.gaveUp = true
    this.left = 0
    const report = this._wd._report
    if (report) report.giveUp(this.paths.filter((p) => fs.existsSync(p)), why, cause)
  }
}

module.exports = { WatchdogSnapshots, SNAPSHOT_ATTEMPTS }

'use strict'

// Evidence before an OOM: what the watchdog leaves on disk so that a process
// killed by a fast leak still says where the memory was allocated.
//
// - A sampling heap profile (`<host>-<pid>-<start stamp>-evidence.heapprofile`)
//   started when growth is first suspected (or at start with when: 'always')
//   and re-saved atomically every saveEveryMs: the newest complete file
//   survives the process, whenever it dies.
// - Beside each watchdog snapshot, a profile under the snapshot's base name
//   (`….heapsnapshot.gz` -> `….heapprofile`), to join allocation sites to the
//   snapshot's suspects.
// - When OOM is projected, the first snapshot starts at once if it can still
//   finish: its estimated duration fits the projected time left, and the
//   memory the host grows by meanwhile is reserved on top of the headroom
//   guard's estimate for the (forked) capture.

const fs = require('fs')
const { performance } = require('perf_hooks')
const os = require('os')
const path = require('path')
const native = require('./native')
const { fromNative } = require('./errors')
const { watchSnapshotOptions, optionsObject, typedValues } = require('./options')
const { SamplingProfiler } = require('./sampling-profiler')
const { oldGenerationLimit } = require('./watchdog-readings')

// heapProfile's ranges and defaults live in the watchdog's Rust schema
// (src/watch/options.rs): this checks only names and JS types.
const HEAP_PROFILE = native.watchOptionSchema().heapProfile
const HEAP_PROFILE_TYPES = {
  [HEAP_PROFILE.when]: 'string',
  ...Object.fromEntries(HEAP_PROFILE.numbers.map((s) => [s.name, 'number'])),
}
const SNAPSHOT_SUFFIX = '.heapsnapshot.gz'
const PROFILE_SUFFIX = '.heapprofile'
const EVIDENCE_SUFFIX = `-evidence${PROFILE_SUFFIX}`

// Growth this close to a limit starts the profiler even before the detector
// speaks (warm-up, too few post-GC readings): a profile costs little, a
// process that dies with none costs the whole investigation.
// V8 gives up ("ineffective mark-compacts") at ~80% of the old generation's
// limit when the heap is full of live objects, so these are well below it.
const PROFILE_AT_LIMIT_FRACTION = 0.4
const SAVE_EVERY_TICK_LIMIT_FRACTION = 0.6
const SAVE_MIN_GROWTH_FRACTION = 0.02
// Near the limit, saves (each a full GC plus the JSON) take at most this
// share of the time: one every 5 x the last save's cost.
const SAVE_COST_SHARE = 0.2
const PROFILE_HORIZON_MS = 15 * 60 * 1000
// Snapshot speed from bench/capture.js (140 MB of heap in 11.5 s, ~12 MB/s),
// taken at 2/3 of it for a loaded machine, plus a fixed start-up cost; the
// snapshot must be expected to finish within half the projected time left.
const SNAPSHOT_HEAP_BYTES_PER_MS = 8 * 1024 * 1024 / 1000
const SNAPSHOT_FIXED_MS = 1000
const SNAPSHOT_TIME_SAFETY = 2

/**
 * Validates watch()'s `snapshot` and `heapProfile` options; `heapProfile.when`
 * defaults by `snapshots`. Throws ERR_LEAKWATCH_INVALID_OPTION naming
 * `snapshot.<key>` or `heapProfile.<key>`.
 */
function evidenceOptions(opts, snapshots) {
  const snapshot = watchSnapshotOptions(opts.snapshot)
  const prefix = `${HEAP_PROFILE.name}.`
  const hp = optionsObject(opts.heapProfile, Object.keys(HEAP_PROFILE_TYPES), HEAP_PROFILE.name)
  let heapProfile
  try {
    heapProfile = native.watchHeapProfileOptions(typedValues(hp, HEAP_PROFILE_TYPES, undefined, prefix), snapshots)
  } catch (err) {
    throw fromNative(err)
  }
  return { snapshot: Object.freeze(snapshot), heapProfile: Object.freeze(heapProfile) }
}

function hostPart() {
  // The same rule as src/capture/naming.rs's sanitize(hostname, 64).
  const h = os.hostname().replace(/[^A-Za-z0-9._]/g, '_').slice(0, 64)
  return h === '' || /^\.+$/.test(h) ? '_' : h
}

function utcStamp(d) {
  return d.toISOString().replace(/[-:]/g, '')
}

/** `x.heapsnapshot.gz` -> `x.heapprofile`: the join key between the two files. */
function profilePathFor(snapshotPath) {
  const base = snapshotPath.endsWith(SNAPSHOT_SUFFIX) ? snapshotPath.slice(0, -SNAPSHOT_SUFFIX.length) : snapshotPath
  return base + PROFILE_SUFFIX
}

/** The post-GC live heap (else heap used) and the nearer of the heap and container limits. */
function usage(stats) {
  const heap = oldGenerationLimit(stats.heapLimitBytes)
  const limit = Math.min(heap || Infinity, stats.memoryLimitBytes || Infinity)
  return { used: stats.liveHeapBytes ?? stats.heapUsedBytes, limit: limit > 0 ? limit : Infinity }
}

function usedFraction(stats) {
  const { used, limit } = usage(stats)
  return Number.isFinite(limit) ? used / limit : 0
}

function estimateSnapshotMs(heapUsedBytes) {
  return SNAPSHOT_FIXED_MS + heapUsedBytes / SNAPSHOT_HEAP_BYTES_PER_MS
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return err.code === 'EPERM'
  }
}

class WatchdogEvidence {
  /** `hooks.warn(err)` reports a failure; `hooks.emit(event)` an 'evidence' event. */
  constructor(options, hooks, deps = {}) {
    this.options = options
    this._hooks = hooks
    this._now = deps.now || Date.now
    this._Profiler = deps.SamplingProfiler || SamplingProfiler
    this._profiler = null
    this._profileFailed = false
    this._lastSaveAt = -Infinity
    this._lastSaveCostMs = 0
    this._savedUsed = null
    this._path = null
    this._skipReported = false
    if (options.heapProfile.when === 'always') this._startProfiler('always')
  }

  /**
   * Whether each major GC's reading should be judged at once rather than at
   * the next tick: the live heap (`liveBytes`) is past the share of the old
   * generation's limit (`oldGenLimitBytes`) where sampling starts (and the
   * profiler is not yet running) or where the profile is saved every time.
   */
  everyReading(liveBytes, oldGenLimitBytes) {
    if (this.options.heapProfile.when === 'never' || !(oldGenLimitBytes > 0)) return false
    const share = liveBytes / oldGenLimitBytes
    return share > SAVE_EVERY_TICK_LIMIT_FRACTION || (!this._profiler && !this._profileFailed && share > PROFILE_AT_LIMIT_FRACTION)
  }

  /** The evidence profile's path once written, else null. */
  get heapProfilePath() {
    return this._path
  }

  /**
   * Called on every watchdog tick. Starts/saves the profile and plans
   * snapshots: `{ snapshotNow, skip, reserveBytes }`. snapshotNow: OOM is near
   * and the first snapshot must start at once; skip: a snapshot could not
   * finish before the projected OOM, so none starts.
   */
  onTick(a, stats, snap) {
    const urgent = a.urgent === true
    const reason = this._profileReason(a, stats, urgent)
    // A profile saved the moment sampling starts holds no sample: the first
    // save waits for the next reading.
    if (reason) this._startProfiler(reason)
    else if (this._profiler && this._now() - this._lastSaveAt >= this._saveEveryMs(a, stats, urgent) &&
      (urgent || this._grownSinceSave(stats))) {
      this._saveEvidence(stats)
    }
    return this._planSnapshot(a, stats, snap, urgent)
  }

  // Each save costs V8 a full GC (getSamplingProfile collects first so the
  // profile holds live objects only): rare while OOM is far, every tick when near.
  // Near the limit the watchdog judges every major GC's reading, so saves
  // are spaced by their own cost too: at most SAVE_COST_SHARE of the time.
  _saveEveryMs(a, stats, urgent) {
    const every = this.options.heapProfile.saveEveryMs
    const near = urgent || (a.msToOom != null && a.msToOom < 10 * every) ||
      usedFraction(stats) > SAVE_EVERY_TICK_LIMIT_FRACTION
    return near ? this._lastSaveCostMs / SAVE_COST_SHARE : every
  }

  // A heap that holds still needs no new evidence, and each save is a full GC:
  // a big, steady service must not pay one every period.
  _grownSinceSave(stats) {
    if (this._savedUsed === null) return true
    const { used, limit } = usage(stats)
    return !Number.isFinite(limit) || used - this._savedUsed >= SAVE_MIN_GROWTH_FRACTION * limit
  }

  _profileReason(a, stats, urgent) {
    if (this._profiler || this._profileFailed || this.options.heapProfile.when === 'never') return null
    if (urgent) return 'urgent'
    if (a.state === 'suspected' || a.state === 'leak') return a.state
    if (a.msToOom != null && a.msToOom < PROFILE_HORIZON_MS) return 'oom-projected'
    if (usedFraction(stats) > PROFILE_AT_LIMIT_FRACTION) return 'near-limit'
    return null
  }

  _planSnapshot(a, stats, snap, urgent) {
    const none = { snapshotNow: false, skip: false, reserveBytes: 0 }
    if (!snap || snap.left <= 0 || snap.inFlight) return none
    const needMs = estimateSnapshotMs(stats.heapUsedBytes)
    const msToOom = a.msToOom ?? Infinity
    const perMs = Math.max(0, a.growthBytesPerMin || 0) / 60000
    const reserveBytes = Number.isFinite(msToOom) ? Math.round(perMs * needMs) : 0
    if (msToOom < SNAPSHOT_TIME_SAFETY * needMs) {
      // A capture the OOM cuts short leaves nothing and costs the memory the
      // process is about to run out of.
      if (!this._skipReported) {
        this._skipReported = true
        this._hooks.emit({
          type: 'snapshot-skipped',
          reason: `a snapshot of ${Math.round(stats.heapUsedBytes / 1048576)} MB of heap needs ~${Math.round(needMs)} ms and OOM is projected in ${Math.round(msToOom)} ms`,
          heapProfile: this._path,
        })
      }
      return { ...none, skip: true }
    }
    if (!urgent || snap.paths.length > 0) return { ...none, reserveBytes }
    return { snapshotNow: true, skip: false, reserveBytes }
  }

  _startProfiler(reason) {
    const p = new this._Profiler({ samplingIntervalBytes: this.options.heapProfile.samplingIntervalBytes })
    try {
      p.start()
    } catch (err) {
      // One failure is enough to know: no inspector, or another inspector
      // session (DevTools) samples; leakwatch's own profilers are joined.
      this._profileFailed = true
      this._hooks.warn(err)
      return
    }
    this._profiler = p
    this._startedAt = new Date(this._now())
    this._removeOrphanTemps()
    // Joined a profiler the user already runs (one V8 profiler per isolate):
    // the profile is theirs, at their interval, and stays valid after their stop().
    this._hooks.emit({ type: 'profiling-started', reason, shared: p.shared === true, samplingIntervalBytes: p.samplingIntervalBytes ?? this.options.heapProfile.samplingIntervalBytes })
  }

  _evidencePath() {
    const name = `${hostPart()}-${process.pid}-${utcStamp(this._startedAt)}${EVIDENCE_SUFFIX}`
    return path.join(this.options.snapshot.dir, name)
  }

  _saveEvidence(stats) {
    this._lastSaveAt = this._now()
    if (stats) this._savedUsed = usage(stats).used
    const t0 = performance.now()
    try {
      const first = this._path === null
      const res = this._profiler.saveSync(this._evidencePath())
      this._lastSaveCostMs = performance.now() - t0
      this._path = res.path
      if (first) {
        this._pruneEvidence()
        this._hooks.emit({ type: 'heap-profile', ...res })
      }
    } catch (err) {
      this._hooks.warn(err)
    }
  }

  /** Saves the profile beside a snapshot and drops those of snapshots retention deleted. */
  afterSnapshot(res) {
    for (const deleted of (res && res.deleted) || []) {
      try { fs.unlinkSync(profilePathFor(deleted)) } catch { /* none was written */ }
    }
    // Only beside snapshots in snapshot.dir: evidence never lands anywhere else.
    if (!this._profiler || !res || !res.path || path.dirname(res.path) !== this.options.snapshot.dir) return null
    try {
      const saved = this._profiler.saveSync(profilePathFor(res.path))
      this._hooks.emit({ type: 'heap-profile', snapshot: res.path, ...saved })
      return saved.path
    } catch (err) {
      this._hooks.warn(err)
      return null
    }
  }

  // Evidence files of earlier processes: as many as snapshot.maxFiles allows.
  _pruneEvidence() {
    const max = this.options.snapshot.maxFiles
    if (!max) return
    const dir = this.options.snapshot.dir
    let names
    try {
      names = fs.readdirSync(dir).filter((n) => n.endsWith(EVIDENCE_SUFFIX) && !n.startsWith('.'))
    } catch {
      return
    }
    const files = names.map((n) => {
      try { return { n, t: fs.statSync(path.join(dir, n)).mtimeMs } } catch { return null }
    }).filter(Boolean).sort((x, y) => y.t - x.t)
    for (const f of files.slice(max)) {
      try { fs.unlinkSync(path.join(dir, f.n)) } catch { /* gone already */ }
    }
  }

  // A process killed mid-save leaves its hidden temp file; the next one clears it.
  _removeOrphanTemps() {
    const dir = this.options.snapshot.dir
    let names
    try { names = fs.readdirSync(dir) } catch { return }
    for (const n of names) {
      const m = /^\.leakwatch-.+\.heapprofile\.(\d+)\.\d+\.tmp$/.exec(n)
      if (m && Number(m[1]) !== process.pid && !pidAlive(Number(m[1]))) {
        try { fs.unlinkSync(path.join(dir, n)) } catch { /* gone already */ }
      }
    }
  }

  stop() {
    if (this._profiler) {
      // A last save: a process stopping its watchdog keeps the evidence so far.
      this._saveEvidence()
      this._profiler.stop()
      this._profiler = null
    }
  }
}

module.exports = { WatchdogEvidence, evidenceOptions, profilePathFor, estimateSnapshotMs }

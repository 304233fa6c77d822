'use strict'

// The watchdog's JS half: wires perf_hooks GC entries into the native detector
// (src/watch), polls the native sampling thread on an unref'd timer, and turns
// the detector's decisions into 'stats' / 'leak' / 'recovered' events.
// Nothing here keeps the process alive: the timer is unref'd, a GC observer is
// not a handle, and the one native thread is joined by stop() or env teardown.

const { EventEmitter } = require('events')
const { PerformanceObserver, constants, performance } = require('perf_hooks')
const v8 = require('v8')
const { invalidOption, fromNative } = require('./errors')
const { watchOptions: validateOptions, DEFAULTS } = require('./watch-options')
const { WatchdogEvidence } = require('./watchdog-evidence')
const { WatchdogSnapshots } = require('./watchdog-snapshots')
const { collector } = require('./heap-probe')
const { heapNow, oldGenerationUsed } = require('./watchdog-readings')
const { usableSnapshotDir } = require('./options')

// Between ticks the full-GC policy is asked at most this often (on GC batches),
// and external observed at most this often: a GC-heavy process batches 250
// GCs a second, the floor needs a fraction of them.
const GC_CHECK_EVERY_NS = 100_000_000n
const OBSERVE_EVERY_NS = 20_000_000n
const GC_KINDS = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
}

class Watchdog extends EventEmitter {
  constructor(opts, deps = {}) {
    super()
    this.options = Object.freeze(validateOptions(opts))
    if (this.options.snapshots > 0 && typeof deps.takeSnapshot !== 'function') {
      throw invalidOption('snapshots', 'needs a snapshot function: use require("leakwatch").watch()')
    }
    // Snapshots and profiles go there: a wrong directory fails now, not at the first leak.
    if (this.options.snapshots > 0 || this.options.heapProfile.when !== 'never') usableSnapshotDir(this.options.snapshot)
    const Native = deps.NativeWatchdog || require('./native').NativeWatchdog
    this._takeSnapshot = deps.takeSnapshot
    this._startedAt = performance.now()
    try {
      this._native = new Native(this.options, this._startedAt)
    } catch (err) {
      throw fromNative(err)
    }
    this._gc = { minor: 0, major: 0, incremental: 0, weakcb: 0, pauseMs: 0, majorPauseMs: 0, maxPauseMs: 0, forced: 0, forcedPauseMs: 0 }
    this._urgentTick = null
    this._assessments = null
    this._forcedPending = 0
    this._lastGcCheck = 0n
    this._lastObserve = 0n
    this._lastMajor = null
    this._lastStats = null
    this._lastAssessment = null
    this._selfNs = 0n
    this._snap = new WatchdogSnapshots(this)
    this._stopped = false
    this._evidence = new WatchdogEvidence(this.options, {
      warn: (err) => this._warn(err),
      emit: (ev) => this.emit('evidence', ev),
    }, deps.evidence)

    this._observer = new PerformanceObserver((list) => this._onGc(list))
    this._observer.observe({ entryTypes: ['gc'] })
    this._timer = setInterval(() => this._tick(), this.options.intervalMs)
    this._timer.unref()
    // After its last snapshot the watchdog analyses them and emits 'report'.
    this._report = this.options.snapshots >= 2 && deps.report !== false ? require('./watchdog-report').attach(this) : null
  }

  get running() {
    return !this._stopped
  }

  /** Latest figures (as in the last 'stats' event) and the detector's view. */
  stats() {
    const base = this._lastStats || this._collect()
    const a = this._lastAssessment
    return {
      ...base,
      running: !this._stopped,
      assessment: a && {
        state: a.state,
        windowMs: a.windowMs,
        growthBytesPerMin: a.growthBytesPerMin,
        recentGrowthBytesPerMin: a.recentGrowthBytesPerMin,
        confidence: a.confidence,
        samples: a.samples,
        msToOom: a.msToOom ?? null,
        reason: a.reason,
      },
      outside: this._outside(),
      overhead: {
        mainThreadMs: Number(this._selfNs) / 1e6,
        samplerCpuMs: this._stopped ? this._samplerCpuMs || 0 : this._native.memory(false).samplerCpuMs,
      },
      snapshots: this._snap.paths.slice(),
    }
  }

  /** Stops sampling and releases everything; idempotent. */
  stop() {
    if (this._stopped) return
    this._stopped = true
    clearInterval(this._timer)
    if (this._urgentTick) clearImmediate(this._urgentTick)
    this._observer.disconnect()
    this._evidence.stop()
    // Stopping is the user's choice: a report not yet made is not made (an
    // analysis under way is ended), and no 'error' says so.
    if (this._report) this._report.stop()
    try {
      this._samplerCpuMs = this._native.memory(false).samplerCpuMs
      this._native.stop()
    } catch (err) {
      this._warn(fromNative(err))
    }
  }

  _onGc(list) {
    if (this._stopped) return
    const t0 = process.hrtime.bigint()
    let majorEnd = -1
    for (const e of list.getEntries()) {
      const kind = GC_KINDS[e.detail ? e.detail.kind : 0]
      if (kind) this._gc[kind]++
      this._gc.pauseMs += e.duration
      if (e.duration > this._gc.maxPauseMs) this._gc.maxPauseMs = e.duration
      if (kind === 'major') {
        this._gc.majorPauseMs += e.duration
        // A GC this watchdog requested: its reading was taken at once,
        // before new allocation could blur external (see _maybeForceGc).
        if (this._forcedPending > 0) this._forcedPending--
        else majorEnd = Math.max(majorEnd, e.startTime + e.duration)
      }
    }
    if (majorEnd >= 0) {
      // Read once per batch: entries arrive asynchronously, and promotions
      // since the GC can only make this an over-estimate, which the detector's
      // lower envelope tolerates.
      this._addSample(majorEnd)
    } else if (this._native.observe && t0 - this._lastObserve >= OBSERVE_EVERY_NS) {
      this._lastObserve = t0
      // A leak faster than a tick gets its readings requested between ticks
      // (cadence.rs: only when the limit is a few ticks away).
      if (this.options.forceGc && t0 - this._lastGcCheck >= GC_CHECK_EVERY_NS) {
        this._lastGcCheck = t0
        this._maybeForceGc()
      }
      // Between major GCs external only lowers the floor the next reading
      // reports: its instant value swings with the Buffers alive right then
      // (src/watch/track.rs). Scripted natives in tests may not have it.
      this._native.observe(v8.getHeapStatistics().external_memory)
    }
    this._selfNs += process.hrtime.bigint() - t0
  }

  _addSample(atMs) {
    const live = oldGenerationUsed()
    const heap = heapNow()
    const external = heap.externalBytes
    this._lastMajor = { liveHeapBytes: live, externalBytes: external, atMs }
    const urgent = this._native.addSample(atMs, live, external, heap)
    // An urgent projection, or a heap this near its limit, is judged (and
    // its evidence saved) at this reading, not at the next tick: a leak
    // faster than a tick may not live to see it.
    if ((urgent || this._evidence.everyReading(live, heap.heapLimitBytes)) && !this._urgentTick) {
      this._urgentTick = setImmediate(() => {
        this._urgentTick = null
        this._tick()
      })
      this._urgentTick.unref()
    }
  }

  _collect(resetPeak = false) {
    const hs = v8.getHeapStatistics()
    const mem = this._stopped ? {} : this._native.memory(resetPeak)
    return {
      at: Date.now(),
      liveHeapBytes: this._lastMajor ? this._lastMajor.liveHeapBytes : null,
      heapUsedBytes: hs.used_heap_size,
      heapTotalBytes: hs.total_heap_size,
      heapLimitBytes: hs.heap_size_limit,
      externalBytes: hs.external_memory,
      rssBytes: mem.rssBytes ?? null,
      peakRssBytes: mem.peakRssBytes ?? null,
      memoryLimitBytes: mem.memoryLimitBytes ?? null,
      memoryUsageBytes: mem.memoryUsageBytes ?? null,
      gc: { ...this._gc },
    }
  }

  _tick() {
    if (this._stopped) return
    const t0 = process.hrtime.bigint()
    let all
    let stats
    try {
      stats = this._collect(true)
      all = this._native.evaluate(performance.now(), heapNow())
      this._maybeForceGc()
    } catch (err) {
      this._selfNs += process.hrtime.bigint() - t0
      this._warn(fromNative(err))
      return
    }
    const a = all[0]
    this._lastStats = stats
    this._lastAssessment = a
    this._assessments = all
    // The first series that raised or suspects a leak (heap, external, rss)
    // drives snapshots and evidence; the heap's assessment otherwise.
    const alarmed = all.find((x) => x.event === 'leak') || all.find((x) => x.state === 'suspected' || x.state === 'leak')
    const plan = this._evidence.onTick(alarmed || a, stats, this._snap)
    if (!plan.skip && (plan.snapshotNow || alarmed)) this._snap.maybeTake(plan)
    this._selfNs += process.hrtime.bigint() - t0

    this.emit('stats', {
      ...stats,
      state: a.state,
      growthBytesPerMin: a.growthBytesPerMin,
      confidence: a.confidence,
      msToOom: a.msToOom ?? null,
      urgent: all.some((x) => x.urgent),
      outside: this._outside(),
    })
    for (const x of all) {
      if (x.event === 'leak') this.emit('leak', this._leakEvent(x, stats))
      else if (x.event === 'recovered') {
        this.emit('recovered', {
          kind: x.kind,
          growthBytesPerMin: x.growthBytesPerMin,
          confidence: x.confidence,
          windowMs: x.windowMs,
          samples: x.samples,
          liveHeapBytes: x.kind === 'heap' ? x.liveHeapBytes : null,
          bytes: x.liveHeapBytes,
          reason: x.reason,
        })
      }
    }
  }

  /** The external and RSS series' views, for 'stats' and stats(). */
  _outside() {
    const out = {}
    for (const x of (this._assessments || []).slice(1)) {
      out[x.kind] = { state: x.state, bytes: x.liveHeapBytes, growthBytesPerMin: x.growthBytesPerMin, msToOom: x.msToOom ?? null }
    }
    return out
  }

  // A full GC when the native policy says one is worth its cost (urgent or
  // starved detector, src/watch/cadence.rs); its pause spaces the next ones.
  // Its reading is taken right here; _onGc skips the perf entries it causes
  // (should fewer arrive, the count only costs the next natural reading or two).
  _maybeForceGc() {
    const now = performance.now()
    const why = this._native.gcDue(now, heapNow())
    if (!why) return
    const t0 = performance.now()
    const cpu0 = process.cpuUsage()
    // Twice: V8 sweeps dead ArrayBuffers in the background and corrects
    // `external` only when the next GC finishes that sweep, so after one GC
    // external still counts the Buffers it freed; after two it is exact.
    const gc = collector()
    gc()
    gc()
    const end = performance.now()
    const cpu = process.cpuUsage(cpu0)
    const pauseMs = end - t0
    this._forcedPending += 2
    this._addSample(end)
    // The next request is spaced by what this one cost: the CPU it took when
    // that is less than the wall time (on a loaded machine the wall time
    // also counts waiting for a core, which the GC did not cause).
    this._native.gcDone(now, Math.min(pauseMs, (cpu.user + cpu.system) / 1000))
    this._gc.forced++
    this._gc.forcedPauseMs += pauseMs
  }

  _leakEvent(a, stats) {
    return {
      // Where the memory grows: 'heap' (JS objects), 'external' (Buffers,
      // ArrayBuffers) or 'rss' (native memory outside both).
      kind: a.kind,
      // True when a limit is projected within urgentHorizonMs: reported at
      // once from the fewest readings that make the rise certain.
      urgent: a.urgent,
      // The series' latest reading: live heap, external or RSS outside V8.
      bytes: a.liveHeapBytes,
      growthBytesPerMin: a.growthBytesPerMin,
      confidence: a.confidence,
      // Longer than options.windowMs when major GCs were too sparse for it.
      windowMs: a.windowMs,
      samples: a.samples,
      liveHeapBytes: a.kind === 'heap' ? a.liveHeapBytes : stats.liveHeapBytes,
      heapLimitBytes: stats.heapLimitBytes,
      memoryLimitBytes: stats.memoryLimitBytes,
      rssBytes: stats.rssBytes,
      msToOom: a.msToOom ?? null,
      projectedOomAt: a.projectedOomAt == null ? null : new Date(a.projectedOomAt),
      oomBound: a.oomBound ?? null,
      recentGrowthBytesPerMin: a.recentGrowthBytesPerMin,
      reason: a.reason,
      snapshots: this._snap.paths.slice(),
      heapProfile: this._evidence.heapProfilePath,
    }
  }

  // An 'error' emit with no listener throws, which would crash the host
  // service from a timer: warn instead.
  _warn(err) {
    if (this.listenerCount('error') > 0) this.emit('error', err)
    else process.emitWarning(err && err.message ? err.message : String(err), { type: 'LeakwatchWarning', code: err && err.code })
  }
}

/** Starts a watchdog. `deps.takeSnapshot(label) -> Promise<{path}>` is
 * injected by the facade; `deps.NativeWatchdog` lets tests swap the binding. */
function watch(opts, deps) {
  return new Watchdog(opts, deps)
}

module.exports = { watch, Watchdog, DEFAULTS, validateOptions }

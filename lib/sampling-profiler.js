'use strict'

// V8's sampling heap profiler through the in-process inspector session: no
// --inspect flag, no port. V8 samples one allocation every ~samplingInterval
// bytes (Poisson-distributed) and keeps its stack while the object is alive,
// so the profile names where the live heap was allocated at under 1% CPU at
// the default 512 KiB interval (bench/profiler.js, docs/allocation-sites.md).
//
// The in-process session dispatches synchronously, which is what lets start()
// throw at once and lets the watchdog save evidence from a timer without
// waiting on the event loop near an OOM.

const fs = require('fs')
const path = require('path')
const native = require('./native')
const { LeakwatchError, invalidOption, fromIo, fromNative } = require('./errors')
const { optionsObject, typedValues } = require('./options')

// The interval's range and default live in the watchdog's Rust schema
// (src/watch/options.rs), beside heapProfile's: this checks names and types.
const INTERVAL = native.watchOptionSchema().profilerSamplingIntervalBytes
const DEFAULT_SAMPLING_INTERVAL_BYTES = INTERVAL.default
const OPTION_TYPES = { [INTERVAL.name]: 'number' }
let tempSeq = 0

function validate(opts) {
  opts = optionsObject(opts, Object.keys(OPTION_TYPES))
  const given = typedValues(opts, OPTION_TYPES)
  try {
    return { samplingIntervalBytes: native.profilerSamplingInterval(given[INTERVAL.name]) }
  } catch (err) {
    throw fromNative(err)
  }
}

function unavailable(why) {
  return new LeakwatchError('ERR_LEAKWATCH_PROFILER_UNAVAILABLE', `sampling heap profiler unavailable: ${why}`)
}

function loadInspector() {
  try {
    return require('inspector')
  } catch (err) {
    // Node built --without-inspector throws ERR_INSPECTOR_NOT_AVAILABLE here.
    throw unavailable(String((err && err.message) || err))
  }
}

/** Posts on a session that answers synchronously; throws the inspector's error. */
function postSync(session, method, params) {
  let done = false
  let error = null
  let result
  session.post(method, params, (err, res) => {
    done = true
    error = err
    result = res
  })
  if (!done) throw unavailable(`${method} did not answer synchronously`)
  if (error) throw error
  return result
}

/** Writes `data` to `file` through a 0600 temp file + fsync + rename, so a
 * reader (or a crash) sees the old file or the whole new one, never a part. */
function writeAtomic(file, data) {
  const dir = path.dirname(file)
  try {
    makeDir(dir, 64)
  } catch (err) {
    throw fromIo(`create ${dir}`, err)
  }
  const temp = path.join(dir, `.leakwatch-${path.basename(file)}.${process.pid}.${++tempSeq}.tmp`)
  let fd = null
  try {
    fd = fs.openSync(temp, 'wx', 0o600)
    const buf = Buffer.from(data)
    let off = 0
    while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off)
    fs.fsyncSync(fd)
    fs.closeSync(fd)
    fd = null
    fs.renameSync(temp, file)
    fsyncDir(dir)
    return buf.length
  } catch (err) {
    if (fd !== null) try { fs.closeSync(fd) } catch { /* already failing */ }
    try { fs.unlinkSync(temp) } catch { /* never created or already gone */ }
    throw fromIo(`write ${file}`, err)
  }
}

// Not fs.mkdirSync({ recursive: true }): on Node 20 it spins forever on paths
// such as /proc/x, whose mkdir fails with ENOENT under an existing parent.
function makeDir(dir, depth) {
  try {
    fs.mkdirSync(dir, { mode: 0o700 })
  } catch (err) {
    if (err.code === 'EEXIST') {
      if (fs.statSync(dir).isDirectory()) return
      throw err
    }
    const parent = path.dirname(dir)
    if (err.code !== 'ENOENT' || parent === dir || depth <= 0 || fs.existsSync(parent)) throw err
    makeDir(parent, depth - 1)
    fs.mkdirSync(dir, { mode: 0o700 })
  }
}

// Makes the rename itself durable; some filesystems refuse fsync on a
// directory, which costs durability, not correctness.
function fsyncDir(dir) {
  let fd = null
  try {
    fd = fs.openSync(dir, 'r')
    fs.fsyncSync(fd)
  } catch { /* best effort */ } finally {
    if (fd !== null) try { fs.closeSync(fd) } catch { /* best effort */ }
  }
}

// V8 has one sampling heap profiler per isolate, and the inspector session that
// started it stops it when it disconnects. So every SamplingProfiler of this
// module holds one shared session: the first start() starts V8's profiler
// (at its interval), later ones join it, and only the last stop() stops it.
// The watchdog and a user's own profiler thus read one profile, and neither
// stops the other's.
const shared = { session: null, samplingIntervalBytes: 0, holders: new Set() }

function acquire(holder, samplingIntervalBytes) {
  if (shared.session && !isSampling(shared.session)) {
    // Another inspector session (DevTools) stopped V8's profiler under the
    // holders: they already read errors; a new holder restarts it.
    restart(shared.session, samplingIntervalBytes)
    shared.samplingIntervalBytes = samplingIntervalBytes
  }
  if (!shared.session) {
    shared.session = startSession(samplingIntervalBytes)
    shared.samplingIntervalBytes = samplingIntervalBytes
  }
  shared.holders.add(holder)
}

function release(holder) {
  if (!shared.holders.delete(holder) || shared.holders.size > 0) return
  const session = shared.session
  shared.session = null
  if (!session) return
  try {
    postSync(session, 'HeapProfiler.stopSampling')
  } catch { /* already stopped by someone else */ }
  session.disconnect()
}

function restart(session, samplingIntervalBytes) {
  try {
    postSync(session, 'HeapProfiler.startSampling', { samplingInterval: samplingIntervalBytes })
  } catch (err) {
    throw err instanceof LeakwatchError ? err : unavailable(String((err && err.message) || err))
  }
}

function startSession(samplingIntervalBytes) {
  const inspector = loadInspector()
  const session = new inspector.Session()
  try {
    session.connect()
  } catch (err) {
    throw unavailable(String((err && err.message) || err))
  }
  try {
    // V8 ignores a second startSampling and would hand both callers one
    // profile that either could stop, so a profiler started by another
    // session (DevTools, another copy of leakwatch) is not joined.
    if (isSampling(session)) {
      throw new LeakwatchError('ERR_LEAKWATCH_BUSY', 'the sampling heap profiler is already running in this process, started by another inspector session')
    }
    postSync(session, 'HeapProfiler.startSampling', { samplingInterval: samplingIntervalBytes })
  } catch (err) {
    session.disconnect()
    throw err instanceof LeakwatchError ? err : unavailable(String((err && err.message) || err))
  }
  return session
}

/**
 * One sampling heap profile of this isolate. V8 has a single sampling heap
 * profiler per isolate: the SamplingProfilers of this process share it (the
 * first start() sets the interval; a profile holds the samples since that
 * start, and sampling stops with the last stop()). Another inspector session
 * that samples (DevTools) makes start() throw ERR_LEAKWATCH_BUSY.
 *
 * new SamplingProfiler({ samplingIntervalBytes = DEFAULT_SAMPLING_INTERVAL_BYTES (524288) })
 *   Throws ERR_LEAKWATCH_INVALID_OPTION (unknown key, interval not an integer in [1, 1073741824]).
 */
class SamplingProfiler {
  constructor(opts) {
    this.options = Object.freeze(validate(opts))
    this._session = null
  }

  /** True between start() and stop(). */
  get running() {
    return this._session !== null
  }

  /** True while another SamplingProfiler of this process samples too (one V8 profile). */
  get shared() {
    return this._session !== null && shared.holders.size > 1
  }

  /**
   * The interval in effect while running (bytes): the first running
   * profiler's, which may differ from options.samplingIntervalBytes; null when stopped.
   */
  get samplingIntervalBytes() {
    return this._session ? shared.samplingIntervalBytes : null
  }

  /**
   * Starts sampling, or joins the sampling another SamplingProfiler of this
   * process started; idempotent. Throws ERR_LEAKWATCH_PROFILER_UNAVAILABLE when
   * Node has no inspector, ERR_LEAKWATCH_BUSY when another inspector session samples.
   */
  start() {
    if (this._session) return this
    acquire(this, this.options.samplingIntervalBytes)
    this._session = shared.session
    return this
  }

  /**
   * The live-object sampling heap profile so far: V8's `SamplingHeapProfile`,
   * `{ head: { callFrame, selfSize, id, children }, samples: [{ size, nodeId, ordinal }] }`
   * (sizes in bytes). Rejects with ERR_LEAKWATCH_PROFILER_UNAVAILABLE when not running.
   */
  async profile() {
    return this.profileSync()
  }

  /** profile(), synchronously: what the watchdog uses from its timer. */
  profileSync() {
    if (!this._session) throw unavailable('not started')
    try {
      return postSync(this._session, 'HeapProfiler.getSamplingProfile').profile
    } catch (err) {
      // Someone stopped V8's profiler under us (e.g. a DevTools session).
      throw err instanceof LeakwatchError ? err : unavailable(String((err && err.message) || err))
    }
  }

  /**
   * Saves the profile as JSON (a `.heapprofile` DevTools loads) at `file`,
   * atomically (temp + fsync + rename, mode 0600, parent dirs 0700).
   * Resolves `{ path, bytes }`. Rejects with ERR_LEAKWATCH_DIR_NOT_WRITABLE,
   * ERR_LEAKWATCH_DISK_FULL or ERR_LEAKWATCH_IO; no partial file is left.
   */
  async save(file) {
    return this.saveSync(file)
  }

  /** save(), synchronously. */
  saveSync(file) {
    if (typeof file !== 'string' || file.length === 0 || file.includes('\0')) {
      throw invalidOption('path', 'expected a non-empty path string')
    }
    const resolved = path.resolve(file)
    const bytes = writeAtomic(resolved, JSON.stringify(this.profileSync()))
    return { path: resolved, bytes }
  }

  /**
   * Stops this profiler; V8's stops with the last one running in this
   * process (and drops its profile). Idempotent, never throws.
   */
  stop() {
    if (!this._session) return
    this._session = null
    release(this)
  }
}

function isSampling(session) {
  try {
    postSync(session, 'HeapProfiler.getSamplingProfile')
    return true
  } catch (err) {
    if (err instanceof LeakwatchError) throw err
    return false
  }
}

module.exports = { SamplingProfiler, DEFAULT_SAMPLING_INTERVAL_BYTES, writeAtomic }

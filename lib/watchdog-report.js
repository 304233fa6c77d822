'use strict'

// The watchdog's own report: once the watchdog has taken all its snapshots
// (options.snapshots, at least 2), they are analysed, with the sampling heap
// profiles saved beside them, and the watchdog emits 'report' with the same
// Report that analyze() returns.
//
// The analysis runs in a child process, not on a worker thread of the host:
// the analyzer needs memory of the order of a snapshot's size, and near a
// container limit that must never be the host's. The child is made the
// kernel's first OOM victim (oom_score_adj 1000), dies with its parent's IPC
// channel, and keeps nothing alive (unref'd). Measured: docs/allocation-sites.md.

const { fork } = require('child_process')
const fs = require('fs')
const { LeakwatchError, fromNative } = require('./errors')

const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000

function failed(message) {
  return new LeakwatchError('ERR_LEAKWATCH_REPORT_FAILED', message)
}

const stoppedError = () => failed('the watchdog was stopped before its report was made')

/**
 * Analyses `files` (oldest first, with `<base>.heapprofile` beside them when
 * present) in a child process. Resolves the Report's JSON form; rejects with
 * the analyzer's own code (ERR_LEAKWATCH_SNAPSHOT_PARSE and its kin, ERR_LEAKWATCH_PROFILE_INVALID,
 * ERR_LEAKWATCH_IO), ERR_LEAKWATCH_REPORT_FAILED when the child dies (killed
 * by the kernel, say) or `signal` aborts (the child is killed), or ERR_LEAKWATCH_TIMEOUT.
 */
function analyzeInChild(files, { timeoutMs = DEFAULT_TIMEOUT_MS, signal } = {}) {
  return new Promise((resolve, reject) => {
    let settled = false
    let child
    const done = (err, value) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (err) reject(err)
      else resolve(value)
    }
    if (signal && signal.aborted) {
      reject(stoppedError())
      return
    }
    try {
      child = fork(__filename, ['--leakwatch-report-child'], {
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        // The host's flags (--inspect, --max-old-space-size for its own heap,
        // --require of an APM) are not the analyzer's.
        execArgv: [],
        env: { ...process.env, NODE_OPTIONS: '' },
      })
    } catch (err) {
      reject(failed(`could not start the analysis process: ${err.message}`))
      return
    }
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      done(new LeakwatchError('ERR_LEAKWATCH_TIMEOUT', `the report's analysis took longer than ${timeoutMs} ms`))
    }, timeoutMs)
    timer.unref()
    // The watchdog's stop(): the child is ended, the promise rejects.
    if (signal) {
      const abort = () => {
        child.kill('SIGKILL')
        done(stoppedError())
      }
      signal.addEventListener('abort', abort, { once: true })
    }
    try {
      fs.writeFileSync(`/proc/${child.pid}/oom_score_adj`, '1000')
    } catch { /* not Linux, or /proc not writable: the child is still separate */ }
    let stderr = ''
    child.stderr.on('data', (d) => { if (stderr.length < 4096) stderr += d })
    child.on('error', (err) => done(failed(`analysis process: ${err.message}`)))
    child.on('message', (m) => {
      if (m && m.ok) done(null, { data: JSON.parse(m.json), maxRssBytes: m.maxRssBytes })
      else if (m) done(new LeakwatchError(m.code || 'ERR_LEAKWATCH_INTERNAL', m.message || 'analysis failed'))
    })
    child.on('exit', (code, signal) => {
      done(failed(`the analysis process exited (${signal || `code ${code}`}) before reporting${stderr ? `: ${stderr.trim().slice(0, 500)}` : ''}`))
    })
    child.send({ files })
    child.unref()
    if (child.channel) child.channel.unref()
    child.stderr.unref?.()
  })
}

/** The child's side: one analysis, one message, exit. */
function runChild() {
  process.on('disconnect', () => process.exit(0))
  process.once('message', async ({ files }) => {
    let msg
    try {
      const report = await require('./analyze').analyze(files)
      msg = { ok: true, json: JSON.stringify(report), maxRssBytes: process.resourceUsage().maxRSS * 1024 }
    } catch (err) {
      const e = fromNative(err)
      msg = { ok: false, code: e.code, message: e.message }
    }
    process.send(msg, () => process.exit(msg.ok ? 0 : 1))
  })
}

/**
 * Makes a watchdog's report. The watchdog calls `ready(files)` after its last
 * planned snapshot, or `giveUp(files, why, cause)` when it can take no more;
 * then the files are analysed and 'report' is emitted on it (a Report,
 * `String(report)` the text), or 'error' (through the watchdog's own warn
 * path, so an unheard error never throws from a timer). `report.analysis`
 * says where and at what cost it ran, and `partial` when it compares fewer
 * snapshots than planned. `stop()` ends it: no event comes after.
 */
function attach(wd, opts = {}) {
  const wanted = wd.options.snapshots
  if (!(wanted >= 2)) return null
  let started = false
  const abort = new AbortController()
  const run = (files, partial) => {
    started = true
    const t0 = Date.now()
    analyzeInChild(files, { ...opts, signal: abort.signal }).then(({ data, maxRssBytes }) => {
      if (abort.signal.aborted) return
      const { reportFromJSON } = require('./analyze')
      // The child has the files' maps; only this process has those it
      // loaded itself (--enable-source-maps, module.findSourceMap).
      require('./source-maps').mapReport(data)
      const report = reportFromJSON(data)
      Object.defineProperty(report, 'analysis', {
        value: { where: 'child process', ms: Date.now() - t0, maxRssBytes, files, partial },
        enumerable: false,
      })
      wd.emit('report', report)
    }, (err) => { if (!abort.signal.aborted) wd._warn(err) })
  }
  return {
    ready(files) {
      if (!started && !abort.signal.aborted) run(files, null)
    },
    // Two snapshots compare as well as three for a steady leak (the analyzer
    // diffs the first and the last; a third mostly rules out objects that
    // were about to be freed), so a report from two beats none; it says so.
    giveUp(files, why, cause) {
      if (started || abort.signal.aborted) return
      started = true
      if (files.length >= 2) {
        run(files, { wanted, taken: files.length, reason: why })
        return
      }
      wd._warn(new LeakwatchError('ERR_LEAKWATCH_REPORT_FAILED',
        `the watchdog's report cannot be made: it has ${files.length} of the ${wanted} snapshots it needs (at least 2) and takes no more: ${why}`,
        { snapshots: files, ...(cause ? { cause } : {}) }))
    },
    stop() {
      abort.abort()
    },
  }
}

if (require.main === module && process.argv.includes('--leakwatch-report-child')) runChild()

module.exports = { attach, analyzeInChild }

'use strict'

// analyze(): the native heap snapshot analyzer, run on a libuv worker thread.
const { fromNative, invalidOption } = require('./errors')
const { selectSnapshots } = require('./snapshot-select')

let binding = null
function native() {
  // Loaded on first use so that requiring this module costs nothing.
  if (!binding) binding = require('./native')
  return binding
}

/** The analysis result: ranked `suspects`, a `summary`, and readable `toString()`. */
class Report {
  constructor(data, text) {
    this.suspects = data.suspects
    this.summary = data.summary
    Object.defineProperty(this, 'text', { value: text, enumerable: false })
  }

  toString() {
    return this.text
  }

  toJSON() {
    return { suspects: this.suspects, summary: this.summary }
  }
}

function checkCount(opts, name) {
  const v = opts[name]
  if (v === undefined) return undefined
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw invalidOption(name, 'must be a non-negative integer')
  return v
}

function nativeOptions(opts) {
  if (opts === undefined || opts === null) return {}
  if (typeof opts !== 'object') throw invalidOption('options', 'must be an object')
  const out = {}
  if (opts.minRetainedDelta !== undefined) {
    const v = opts.minRetainedDelta
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw invalidOption('minRetainedDelta', 'must be a non-negative number of bytes')
    }
    out.minRetainedDelta = v
  }
  const minCountDelta = checkCount(opts, 'minCountDelta')
  if (minCountDelta !== undefined) out.minCountDelta = minCountDelta
  const maxSuspects = checkCount(opts, 'maxSuspects')
  if (maxSuspects !== undefined) out.maxSuspects = maxSuspects
  const topClasses = checkCount(opts, 'topClasses')
  if (topClasses !== undefined) out.topClasses = topClasses
  if (opts.singleSuspects !== undefined) {
    if (typeof opts.singleSuspects !== 'boolean') throw invalidOption('singleSuspects', 'must be a boolean')
    out.singleSuspects = opts.singleSuspects
  }
  return out
}

/**
 * Analyses heap snapshots (`.heapsnapshot` / `.heapsnapshot.gz`) off the main thread.
 * `files` may be any number of files and directories (their snapshots). They are
 * grouped by process (the pid in leakwatch's file names
 * `<host>-<pid>-<stamp>-<seq>[-label].heapsnapshot.gz`), ordered by time (the
 * name's stamp, else the modification time), and of one process the first, middle
 * and last are analysed; `report.summary.selection` says what was chosen and warns
 * about mixed processes or files not given oldest first.
 * One snapshot: the largest classes by retained size (with `singleSuspects: true`,
 * also the biggest groups of alike objects). Two or three: leak suspects, each with
 * its `holder`, `kind`, one line of `advice`, a readable `path` and the `rawPath`.
 * @param {string | string[]} files
 * @param {{ minRetainedDelta?: number, minCountDelta?: number, maxSuspects?: number, topClasses?: number, singleSuspects?: boolean }} [opts]
 * @returns {Promise<Report>}
 */
async function analyze(files, opts) {
  const options = nativeOptions(opts)
  const { files: chosen, selection } = selectSnapshots(files)
  // Said only when there was a choice to make or something to warn about.
  if (selection.notes.length > 0) options.selection = JSON.stringify(selection)
  let out
  try {
    out = await native().analyzeSnapshots(chosen, options)
  } catch (err) {
    throw fromNative(err)
  }
  return new Report(JSON.parse(out.json), out.text)
}

/**
 * A Report from its JSON form (what `leakwatch analyze --json` prints), with
 * the same text as the original, rendered natively.
 * @param {string | object} data
 * @returns {Report}
 */
function reportFromJSON(data) {
  const json = typeof data === 'string' ? data : JSON.stringify(data)
  let text
  try {
    text = native().renderReportText(json)
  } catch (err) {
    throw fromNative(err)
  }
  return new Report(JSON.parse(json), text)
}

module.exports = { analyze, reportFromJSON, Report }

'use strict'

// analyze(): the native heap snapshot analyzer, run on a libuv worker thread.
const { fromNative, invalidOption } = require('./errors')

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
 * Analyses one to three `.heapsnapshot` / `.heapsnapshot.gz` files, oldest first.
 * One file: the largest classes by retained size. Two or three files of the same
 * program: leak suspects (places in the heap that grow from one to the next), with
 * object-id survivors when the snapshots come from one process.
 * @param {string | string[]} files
 * With one file and `singleSuspects: true`, the biggest groups of alike objects
 * (same retaining path) are reported as suspects too.
 * @param {{ minRetainedDelta?: number, maxSuspects?: number, topClasses?: number, singleSuspects?: boolean }} [opts]
 * @returns {Promise<Report>}
 */
async function analyze(files, opts) {
  const list = typeof files === 'string' ? [files] : files
  if (!Array.isArray(list) || list.length < 1 || list.length > 3 || !list.every((f) => typeof f === 'string' && f)) {
    throw invalidOption('files', 'must be one to three snapshot paths')
  }
  const options = nativeOptions(opts)
  let out
  try {
    out = await native().analyzeSnapshots(list, options)
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

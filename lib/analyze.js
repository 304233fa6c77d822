'use strict'

// analyze(): the native heap snapshot analyzer, run on a libuv worker thread.
const fs = require('fs')
const path = require('path')
const { fromNative, invalidOption } = require('./errors')
const { selectSnapshots } = require('./snapshot-select')
const { mapReport } = require('./source-maps')

// leakwatch's own code is never "the allocating function" of a report.
const ROOT = path.resolve(__dirname, '..')
const INTERNAL_PREFIXES = [path.join(ROOT, 'lib') + path.sep, path.join(ROOT, 'jest.js'), path.join(ROOT, 'index.js')]
const SNAPSHOT_SUFFIX = /\.heapsnapshot(\.gz)?$/
const PROFILE_SUFFIX = /\.heapprofile$/

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

// The options' defaults and ranges live in one place, the Rust schema
// (src/heap/options.rs): this only checks names (with the nearest one for a
// typo) and JS types, then lets the schema check values and fill in defaults.
let schema = null
function analyzeSchema() {
  if (!schema) {
    const s = native().analyzeOptionSchema()
    const types = {
      ...Object.fromEntries(s.numbers.map((n) => [n.name, 'number'])),
      ...Object.fromEntries(s.booleans.map((b) => [b.name, 'boolean'])),
    }
    schema = { ...s, types, names: [...Object.keys(types), s.profiles] }
  }
  return schema
}

/**
 * `analyze()`'s options checked by the schema and completed with its
 * defaults (`profiles` is left to analyze()). Throws
 * ERR_LEAKWATCH_INVALID_OPTION naming the option: unknown (with the nearest
 * known name), of the wrong type, or refused by the schema.
 */
function nativeOptions(opts) {
  // Here, not at the top: requiring this module loads no addon.
  const { optionsObject, typedValues } = require('./options')
  const s = analyzeSchema()
  opts = optionsObject(opts, s.names)
  const given = typedValues(opts, s.types)
  const p = opts[s.profiles]
  if (p !== undefined && p !== false) {
    if (!Array.isArray(p) || !p.every((f) => typeof f === 'string')) {
      throw invalidOption(s.profiles, 'expected false or an array of .heapprofile paths, oldest first')
    }
    given[s.profiles] = p
  }
  let out
  try {
    out = native().analyzeOptions(given)
  } catch (err) {
    throw fromNative(err)
  }
  delete out[s.profiles]
  return out
}

/** `<snapshot base>.heapprofile` beside each snapshot: those present, and every path looked at. */
function profilesBeside(files) {
  const found = []
  const lookedFor = []
  for (const f of files) {
    if (!SNAPSHOT_SUFFIX.test(f)) continue
    const candidate = f.replace(SNAPSHOT_SUFFIX, '.heapprofile')
    lookedFor.push(candidate)
    if (fs.existsSync(candidate)) found.push(candidate)
  }
  return { found, lookedFor }
}

/** The profiles to read and, for `summary.profiles`, where they came from. */
function chooseProfiles(opts, chosen) {
  if (opts && opts.profiles === false) return { profiles: [], source: 'off', lookedFor: [] }
  if (opts && opts.profiles !== undefined) return { profiles: opts.profiles, source: 'given', lookedFor: [] }
  const { found, lookedFor } = profilesBeside(chosen)
  return { profiles: found, source: 'beside', lookedFor }
}

// A sampling heap profile given where snapshots go: said plainly rather than
// failing later on its missing `snapshot` header.
function rejectProfilesAsSnapshots(files) {
  for (const f of Array.isArray(files) ? files : [files]) {
    if (typeof f === 'string' && PROFILE_SUFFIX.test(f)) {
      throw invalidOption('files', `${f} is a sampling heap profile (.heapprofile: allocation stacks, not a heap), ` +
        'not a snapshot: give it with its snapshots as { profiles: [...] } (CLI: --profile), ' +
        'or alone to allocationSites() (CLI: leakwatch analyze a.heapprofile b.heapprofile)')
    }
  }
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
 * Allocation sites: sampling heap profiles (`profiles`, oldest first; by
 * default `<snapshot base>.heapprofile` beside each analysed snapshot, where
 * present; `false` for none) are ranked by growth of live sampled bytes and
 * joined to the suspects (`suspect.allocation`, `summary.allocationSites`);
 * `summary.profiles` says which were read, or where none was found. Every
 * position of the report (source-maps.js REPORT_POSITIONS) is mapped to
 * original sources where a source map is found. A `.heapprofile` among `files`
 * is ERR_LEAKWATCH_INVALID_OPTION (its message says how to give it).
 * @param {{ minRetainedDelta?: number, minCountDelta?: number, maxSuspects?: number, topClasses?: number, singleSuspects?: boolean, profiles?: string[] | false }} [opts]
 * @returns {Promise<Report>}
 */
async function analyze(files, opts, internal = {}) {
  const options = nativeOptions(opts)
  rejectProfilesAsSnapshots(files)
  const { files: chosen, selection } = selectSnapshots(files)
  // Said only when there was a choice to make or something to warn about.
  if (selection.notes.length > 0) options.selection = JSON.stringify(selection)
  const { profiles, source, lookedFor } = chooseProfiles(opts, chosen)
  options.profilesSource = source
  options.profilesLookedFor = lookedFor
  if (profiles.length) {
    options.profiles = profiles
    options.internalPrefixes = INTERNAL_PREFIXES
  }
  let out
  try {
    out = await native().analyzeSnapshots(chosen, options)
  } catch (err) {
    throw fromNative(err)
  }
  const data = JSON.parse(out.json)
  // Source maps are read in JS (Node's own parser); the text is then rendered
  // again from the mapped JSON, so it has one renderer. Every report is mapped:
  // a closure's location comes from the snapshot, with or without profiles.
  if (mapReport(data, { inspector: internal.inspectorSourceMaps })) return reportFromJSON(data)
  return new Report(data, out.text)
}

/**
 * Allocation sites of sampling heap profiles alone (no snapshot), ranked by
 * growth of live sampled bytes from the first profile to the last, positions
 * mapped to original sources where a source map is found.
 * @param {string[]} profiles one to three `.heapprofile` paths, oldest first
 * @returns {Promise<object[]>} AllocationSite[] (zero-based positions); `String(sites)`
 *   is their lines of the text report (one-based positions), '' for none
 * Rejects with ERR_LEAKWATCH_INVALID_OPTION, ERR_LEAKWATCH_PROFILE_INVALID, ERR_LEAKWATCH_IO.
 */
async function allocationSites(profiles, internal = {}) {
  if (!Array.isArray(profiles) || profiles.length < 1 || profiles.length > 3 ||
      !profiles.every((f) => typeof f === 'string' && f)) {
    throw invalidOption('profiles', 'must be one to three .heapprofile paths, oldest first')
  }
  let json
  try {
    json = await native().rankAllocationSites(profiles, INTERNAL_PREFIXES)
  } catch (err) {
    throw fromNative(err)
  }
  const sites = JSON.parse(json)
  mapReport({ summary: { allocationSites: sites } }, { inspector: internal.inspectorSourceMaps })
  // The text report's own lines for these sites (its one renderer), rendered
  // after source mapping; the blank line that sets them apart in a report is
  // dropped. Not enumerable, so the array still compares and serializes as before.
  let text
  try {
    text = native().renderAllocationSitesText(JSON.stringify(sites)).replace(/^\n/, '')
  } catch (err) {
    throw fromNative(err)
  }
  Object.defineProperty(sites, 'toString', { value: () => text, enumerable: false })
  return sites
}

/**
 * A Report from its JSON form (what `leakwatch analyze --json` prints), with
 * the same text as the original, rendered natively.
 * @param {string | object} data
 * @returns {Report}
 */
function reportFromJSON(data) {
  const json = typeof data === 'string' ? data : JSON.stringify(data)
  // `leakwatch analyze a.heapprofile --json` saves allocation sites alone: an array.
  if (/^\s*\[/.test(json)) {
    throw invalidOption('report', 'this is a list of allocation sites (what `leakwatch analyze <.heapprofile files> --json` ' +
      'prints), not a saved report: run `leakwatch analyze` on the profiles again for its text')
  }
  let text
  try {
    text = native().renderReportText(json)
  } catch (err) {
    throw fromNative(err)
  }
  return new Report(JSON.parse(json), text)
}

module.exports = { analyze, allocationSites, reportFromJSON, Report, PROFILE_SUFFIX }

'use strict'

const os = require('os')
const native = require('./native')
const { invalidOption, fromNative } = require('./errors')

// The capture options' defaults and ranges live in one place, the Rust schema
// (src/capture/options.rs): this only checks names (with the nearest one for a
// typo) and JS types, then lets the schema check values and fill in defaults.
const CAPTURE = native.captureOptionSchema()
const CAPTURE_TYPES = {
  [CAPTURE.dir]: 'string',
  [CAPTURE.mode]: 'string',
  ...Object.fromEntries(CAPTURE.numbers.map((s) => [s.name, 'number'])),
  [CAPTURE.label]: 'string',
  ...Object.fromEntries(CAPTURE.booleans.map((s) => [s.name, 'boolean'])),
  [CAPTURE.cgroupRoot]: 'string',
}
// Options whose default is "none" take null as left out, so resolved options
// (which may carry them as null) go back in unchanged.
const CAPTURE_NULLABLE = new Set([CAPTURE.label, CAPTURE.cgroupRoot,
  ...CAPTURE.numbers.filter((s) => s.default == null).map((s) => s.name)])

function isPlainObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

function shown(v) {
  return typeof v === 'string' ? JSON.stringify(v) : String(v)
}

/**
 * The one type check of the options a Rust schema completes: the values of
 * `opts` whose JS type is the one `types` names, left-out ones (undefined, or
 * null for the names in `nullable`) omitted; else ERR_LEAKWATCH_INVALID_OPTION.
 * `prefix` names a nested object's keys in errors ("heapProfile.").
 */
function typedValues(opts, types, nullable = new Set(), prefix = '') {
  const given = {}
  for (const [name, type] of Object.entries(types)) {
    const v = opts[name]
    if (v === undefined || (v === null && nullable.has(name))) continue
    if (typeof v !== type) throw invalidOption(prefix + name, `expected a ${type}, got ${shown(v)}`)
    given[name] = v
  }
  return given
}

// Edit distance (insert, delete, substitute, swap two neighbours), for
// naming the option a typo meant.
function editDistance(a, b) {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) d[0][j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1)
    }
  }
  return d[a.length][b.length]
}

/** The known name `key` most likely meant, or undefined when none is close. */
function nearest(key, known) {
  const k = key.toLowerCase()
  let best
  let bestScore = Infinity
  for (const name of known) {
    const n = name.toLowerCase()
    // A name one starts with (`directory` for `dir`) is as good as a typo;
    // so is a name without its unit (`timout` for `timeoutMs`).
    const stem = n.replace(/(ms|bytes|bytespermin|bytesperiteration)$/, '')
    const score = k.startsWith(n) || n.startsWith(k) ? 1 : Math.min(editDistance(k, n), editDistance(k, stem))
    if (score < bestScore) [best, bestScore] = [name, score]
  }
  return bestScore <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined
}

/**
 * The one check for unknown keys, used by every option parser: throws
 * ERR_LEAKWATCH_INVALID_OPTION naming the nearest known option, so a typo
 * never passes silently. `what` says what the keys are ("option",
 * "query parameter"); `prefix` names a nested object's keys ("heapProfile.").
 */
function rejectUnknown(obj, known, what = 'option', prefix = '') {
  const names = [...known]
  for (const key of Object.keys(obj)) {
    if (names.includes(key)) continue
    const guess = nearest(key, names)
    throw invalidOption(prefix + key, `unknown ${what}, ${guess ? `did you mean \`${guess}\`?` : `expected one of ${names.join(', ')}`}`)
  }
}

/**
 * The one preamble of every option parser: `opts` as an object ({} when
 * absent), its keys checked by rejectUnknown. `name` names a nested object
 * ("heapProfile"), whose keys are then reported as `heapProfile.<key>`.
 */
function optionsObject(opts, known, name = 'options') {
  if (opts === undefined || opts === null) return {}
  if (!isPlainObject(opts)) throw invalidOption(name, 'expected an object')
  rejectUnknown(opts, known, 'option', name === 'options' ? '' : `${name}.`)
  return opts
}

// What the schema makes the default and relative dirs from, as this realm
// sees them (a Worker or Jest's sandbox may have a process.env of its own).
function dirFacts() {
  return { envDir: process.env[CAPTURE.dirEnv], tmpdir: os.tmpdir() }
}

/** The directory used when `dir` is not given: `$LEAKWATCH_DIR`, else `<os.tmpdir()>/leakwatch`, absolute. */
function defaultDir() {
  try {
    return native.defaultCaptureDir(dirFacts())
  } catch (err) {
    throw fromNative(err)
  }
}

/**
 * Validates capture options and fills in defaults. Throws
 * ERR_LEAKWATCH_INVALID_OPTION naming the option: unknown (with the nearest
 * known name), of the wrong type, or refused by the schema.
 */
function captureOptions(opts) {
  opts = optionsObject(opts, Object.keys(CAPTURE_TYPES))
  const given = typedValues(opts, CAPTURE_TYPES, CAPTURE_NULLABLE)
  try {
    return native.captureOptions(given, dirFacts())
  } catch (err) {
    throw fromNative(err)
  }
}

/**
 * Checks the directory of resolved capture options where snapshots are
 * configured (watch, onSignal, the router), so a wrong `dir` fails at once
 * rather than at the first leak: created when missing, a directory, writable,
 * storing files. Throws ERR_LEAKWATCH_DIR_NOT_WRITABLE. Returns `resolved`.
 */
function usableSnapshotDir(resolved) {
  try {
    native.checkSnapshotDir(resolved.dir)
  } catch (err) {
    throw fromNative(err)
  }
  return resolved
}

/** watch()'s `snapshot` option: exactly snapshot()'s options, errors named `snapshot.<key>`. */
function watchSnapshotOptions(opts) {
  if (opts !== undefined && !isPlainObject(opts)) {
    // watch({ snapshot: 3 }) is most likely watch({ snapshots: 3 }).
    const hint = typeof opts === 'number' ? ', did you mean `snapshots`?' : ''
    throw invalidOption('snapshot', `expected an object of snapshot() options${hint}`)
  }
  try {
    return captureOptions(opts)
  } catch (err) {
    if (err.code === 'ERR_LEAKWATCH_INVALID_OPTION') {
      err.message = err.message.replace(/^invalid option /, 'invalid option snapshot.')
    }
    throw err
  }
}

/** onSignal()'s signal: `signal`, else the schema's default; refused unless the runtime knows it and it is catchable. */
function signalName(signal) {
  const { signal: name } = typedValues({ signal }, { signal: 'string' })
  try {
    return native.captureSignal(name, Object.keys(os.constants.signals))
  } catch (err) {
    throw fromNative(err)
  }
}

module.exports = { captureOptions, usableSnapshotDir, CAPTURE_SCHEMA: CAPTURE, CAPTURE_TYPES, watchSnapshotOptions, signalName, defaultDir, isPlainObject, typedValues, rejectUnknown, nearest, optionsObject }

'use strict'

const os = require('os')
const path = require('path')
const { invalidOption } = require('./errors')

const MODES = ['auto', 'fork', 'inline']
const CAPTURE_DEFAULTS = {
  mode: 'auto',
  gzipLevel: 2,
  timeoutMs: 300000,
  hangMs: 1500,
  forkAttempts: 3,
  checkHeadroom: true,
  redact: false,
}
const CAPTURE_KEYS = new Set([
  'dir', 'mode', 'gzipLevel', 'timeoutMs', 'label', 'maxFiles', 'maxBytes',
  'checkHeadroom', 'cgroupRoot', 'hangMs', 'forkAttempts', 'redact',
])

function isPlainObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

function integer(name, v, min, max) {
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw invalidOption(name, `expected an integer from ${min} to ${max}, got ${JSON.stringify(v)}`)
  }
  return v
}

function optionalInteger(name, v, min, max) {
  return v === undefined || v === null ? undefined : integer(name, v, min, max)
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
    // A name one starts with (`directory` for `dir`) is as good as a typo.
    const score = k.startsWith(n) || n.startsWith(k) ? 1 : editDistance(k, n)
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

function defaultDir() {
  return process.env.LEAKWATCH_DIR || path.join(os.tmpdir(), 'leakwatch')
}

/** Validates capture options, rejecting unknown keys so a typo never passes silently. */
function captureOptions(opts) {
  opts = optionsObject(opts, CAPTURE_KEYS)
  const o = { ...CAPTURE_DEFAULTS }
  for (const [k, v] of Object.entries(opts)) if (v !== undefined) o[k] = v
  if (o.dir === undefined) o.dir = defaultDir()
  if (typeof o.dir !== 'string' || o.dir.length === 0 || o.dir.includes('\0')) {
    throw invalidOption('dir', 'expected a non-empty path string')
  }
  o.dir = path.resolve(o.dir)
  if (!MODES.includes(o.mode)) throw invalidOption('mode', `expected one of ${MODES.join(', ')}`)
  integer('gzipLevel', o.gzipLevel, 0, 9)
  integer('timeoutMs', o.timeoutMs, 1, 2 ** 31 - 1)
  integer('hangMs', o.hangMs, 100, 2 ** 31 - 1)
  integer('forkAttempts', o.forkAttempts, 1, 10)
  o.maxFiles = optionalInteger('maxFiles', o.maxFiles, 1, 1e6)
  o.maxBytes = optionalInteger('maxBytes', o.maxBytes, 1, Number.MAX_SAFE_INTEGER)
  if (typeof o.checkHeadroom !== 'boolean') throw invalidOption('checkHeadroom', 'expected a boolean')
  if (typeof o.redact !== 'boolean') throw invalidOption('redact', 'expected a boolean')
  if (o.label !== undefined && (typeof o.label !== 'string' || o.label.length > 64)) {
    throw invalidOption('label', 'expected a string of at most 64 characters')
  }
  if (o.cgroupRoot !== undefined && typeof o.cgroupRoot !== 'string') {
    throw invalidOption('cgroupRoot', 'expected a path string')
  }
  return o
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

// Signals a snapshot trigger may not take: they cannot be caught, are used by
// Node itself, or mean the process is already crashing.
const FORBIDDEN_SIGNALS = new Set([
  'SIGKILL', 'SIGSTOP', 'SIGSEGV', 'SIGBUS', 'SIGFPE', 'SIGILL', 'SIGABRT', 'SIGPIPE', 'SIGCHLD',
])

function signalName(signal) {
  if (typeof signal !== 'string' || !(signal in os.constants.signals) || FORBIDDEN_SIGNALS.has(signal)) {
    throw invalidOption('signal', `expected a catchable signal name such as 'SIGUSR2', got ${JSON.stringify(signal)}`)
  }
  return signal
}

module.exports = { captureOptions, watchSnapshotOptions, signalName, defaultDir, isPlainObject, integer, rejectUnknown, nearest, optionsObject }

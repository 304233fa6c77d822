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

function defaultDir() {
  return process.env.LEAKWATCH_DIR || path.join(os.tmpdir(), 'leakwatch')
}

/** Validates capture options, rejecting unknown keys so a typo never passes silently. */
function captureOptions(opts) {
  if (opts === undefined || opts === null) opts = {}
  if (!isPlainObject(opts)) throw invalidOption('options', 'expected an object')
  for (const key of Object.keys(opts)) {
    if (!CAPTURE_KEYS.has(key)) throw invalidOption(key, 'unknown option')
  }
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

module.exports = { captureOptions, signalName, defaultDir, isPlainObject, integer }

'use strict'

// The JS half of the one error mapping: the addon sets `code` natively (see
// src/js/error.rs); this only rewraps its errors as LeakwatchError, so every
// error the package throws is one class with a stable `ERR_LEAKWATCH_…` code.
const CODE = /^ERR_LEAKWATCH_[A-Z_]+$/

class LeakwatchError extends Error {
  constructor(code, message, extra) {
    super(message)
    this.name = 'LeakwatchError'
    this.code = code
    if (extra) Object.assign(this, extra)
  }
}

/** Rewraps an error thrown by the addon; anything uncoded is ERR_LEAKWATCH_INTERNAL. */
function fromNative(err) {
  if (err instanceof LeakwatchError) return err
  const message = String((err && err.message) || err)
  if (err && typeof err.code === 'string' && CODE.test(err.code)) return new LeakwatchError(err.code, message)
  return new LeakwatchError('ERR_LEAKWATCH_INTERNAL', message, err instanceof Error ? { cause: err } : undefined)
}

/**
 * An fs error met while writing into a directory, with the code the capture
 * core gives the same errno (ERR_LEAKWATCH_DIR_NOT_WRITABLE, _DISK_FULL, _IO).
 */
function fromIo(context, err) {
  if (!err || typeof err.errno !== 'number') return fromNative(err)
  const code = require('./native').ioErrorCode(err.errno)
  return new LeakwatchError(code, `${context}: ${err.message}`, { path: err.path, cause: err })
}

function invalidOption(name, why) {
  return new LeakwatchError('ERR_LEAKWATCH_INVALID_OPTION', `invalid option ${name}: ${why}`)
}

module.exports = { LeakwatchError, fromNative, fromIo, invalidOption }

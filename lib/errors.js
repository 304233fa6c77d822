'use strict'

// Native errors arrive as `ERR_LEAKWATCH_…: message` (see src/js/error.rs);
// this is the JS half of the one error mapping.
const NATIVE_CODE = /^(ERR_LEAKWATCH_[A-Z_]+): ([\s\S]*)$/

class LeakwatchError extends Error {
  constructor(code, message, extra) {
    super(message)
    this.name = 'LeakwatchError'
    this.code = code
    if (extra) Object.assign(this, extra)
  }
}

function fromNative(err) {
  if (err instanceof LeakwatchError) return err
  const m = err && typeof err.message === 'string' ? NATIVE_CODE.exec(err.message) : null
  if (!m) return new LeakwatchError('ERR_LEAKWATCH_INTERNAL', String((err && err.message) || err))
  return new LeakwatchError(m[1], m[2])
}

function invalidOption(name, why) {
  return new LeakwatchError('ERR_LEAKWATCH_INVALID_OPTION', `invalid option ${name}: ${why}`)
}

// The same classification as CaptureError::from_io (src/capture/error.rs), for
// files JS writes itself: a full disk is DISK_FULL, permissions DIR_NOT_WRITABLE.
const IO_CODES = {
  ENOSPC: 'ERR_LEAKWATCH_DISK_FULL',
  EDQUOT: 'ERR_LEAKWATCH_DISK_FULL',
  EFBIG: 'ERR_LEAKWATCH_DISK_FULL',
  EACCES: 'ERR_LEAKWATCH_DIR_NOT_WRITABLE',
  EPERM: 'ERR_LEAKWATCH_DIR_NOT_WRITABLE',
  EROFS: 'ERR_LEAKWATCH_DIR_NOT_WRITABLE',
  ENOTDIR: 'ERR_LEAKWATCH_DIR_NOT_WRITABLE',
  EEXIST: 'ERR_LEAKWATCH_DIR_NOT_WRITABLE',
}

/** A Node fs error as a coded LeakwatchError; `context` says what was being done. */
function fromIo(context, err) {
  if (err instanceof LeakwatchError) return err
  const code = (err && IO_CODES[err.code]) || 'ERR_LEAKWATCH_IO'
  return new LeakwatchError(code, `${context}: ${(err && err.message) || err}`, { cause: err })
}

module.exports = { LeakwatchError, fromNative, invalidOption, fromIo }

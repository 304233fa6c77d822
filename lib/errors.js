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

module.exports = { LeakwatchError, fromNative, invalidOption }

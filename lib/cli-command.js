'use strict'

// The frame every CLI subcommand shares: parse its arguments, answer --help,
// run it, and turn the outcome into an exit code: 0 done, 1 failed (the
// error's stable code printed first), 2 a usage error (the usage printed).

/**
 * `parse(argv)` returns the arguments (`{ help: true }` for --help) or throws
 * (a usage error); `run(args)` does the work and may throw an error with
 * `usage: true` for arguments only the work can judge.
 * Resolves to the exit code.
 */
/** Every failure is printed with a stable code: an fs error no step gave a
 * code of its own is ERR_LEAKWATCH_IO, anything else uncoded
 * ERR_LEAKWATCH_INTERNAL (lib/errors.js). */
function withCode(err) {
  const { LeakwatchError, fromNative } = require('./errors')
  const fsError = err && typeof err.syscall === 'string' && !/^ERR_LEAKWATCH_/.test(String(err.code))
  return fsError ? new LeakwatchError('ERR_LEAKWATCH_IO', err.message, { path: err.path, cause: err }) : fromNative(err)
}

async function runCommand(argv, { usage, parse, run }) {
  let args
  try {
    args = parse(argv)
  } catch (err) {
    process.stderr.write(`leakwatch: ${err.message}\n${usage}`)
    return 2
  }
  if (args.help) {
    process.stdout.write(usage)
    return 0
  }
  try {
    await run(args)
    return 0
  } catch (err) {
    if (err && err.usage) {
      process.stderr.write(`leakwatch: ${err.message}\n${usage}`)
      return 2
    }
    const coded = withCode(err)
    process.stderr.write(`leakwatch: ${coded.code}: ${coded.message}\n`)
    return 1
  }
}

module.exports = { runCommand }

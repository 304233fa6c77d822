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
    const code = err && err.code
    process.stderr.write(`leakwatch: ${code ? `${code}: ` : ''}${(err && err.message) || err}\n`)
    return 1
  }
}

module.exports = { runCommand }

'use strict'

// `leakwatch redact <in.heapsnapshot[.gz]> <out.gz>`: a redacted gzip copy of
// a snapshot taken elsewhere. The work runs in the addon off the main thread,
// streaming (memory stays bounded whatever the file size), through the same
// writer as a live capture: 0600 temp file, fsync, rename; nothing on failure.
const path = require('path')
const native = require('./native')
const { fromNative } = require('./errors')

const USAGE = `usage: leakwatch redact <in.heapsnapshot[.gz]> <out.heapsnapshot.gz> [--gzip-level N]

Writes a copy whose string values are replaced by "<redacted N>" placeholders
(N = the original length). Property, class, function, variable and script
names, sizes and the object graph are kept, so the analyzer and DevTools show
the same leak. The input is never overwritten; the output is created 0600.
`
const DEFAULT_LEVEL = 6

function parse(argv) {
  const files = []
  let level = DEFAULT_LEVEL
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '-h' || a === '--help') return { help: true }
    if (a === '--gzip-level') {
      level = Number(argv[++i])
      if (!Number.isInteger(level) || level < 0 || level > 9) throw new Error('--gzip-level needs an integer from 0 to 9')
    } else if (a.startsWith('--')) throw new Error(`unknown option ${a}`)
    else files.push(a)
  }
  if (files.length !== 2) throw new Error('redact takes an input snapshot and an output file')
  return { input: path.resolve(files[0]), output: path.resolve(files[1]), level }
}

/** Runs the command; resolves to the exit code (0 done, 1 failed, 2 usage). */
async function main(argv) {
  let args
  try {
    args = parse(argv)
  } catch (err) {
    process.stderr.write(`leakwatch: ${err.message}\n${USAGE}`)
    return 2
  }
  if (args.help) {
    process.stdout.write(USAGE)
    return 0
  }
  try {
    const out = await native.redactSnapshotFile(args.input, args.output, args.level)
    process.stdout.write(`${out.path}: ${out.bytes} bytes (${out.rawBytes} bytes of snapshot JSON read)\n`)
    return 0
  } catch (e) {
    const err = fromNative(e)
    process.stderr.write(`leakwatch: ${err.code}: ${err.message}\n`)
    return 1
  }
}

module.exports = { main }

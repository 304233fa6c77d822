'use strict'

// `leakwatch redact <in.heapsnapshot[.gz]> <out.gz>`: a redacted gzip copy of
// a snapshot taken elsewhere. The work runs in the addon off the main thread,
// streaming (memory stays bounded whatever the file size), through the same
// writer as a live capture: 0600 temp file, fsync, rename; nothing on failure.
const path = require('path')
const { parseArgs } = require('util')
const native = require('./native')
const { runCommand } = require('./cli-command')
const { CAPTURE_SCHEMA } = require('./options')
const { invalidOption } = require('./errors')

const USAGE = `usage: leakwatch redact <in.heapsnapshot[.gz]> <out.heapsnapshot.gz> [--gzip-level N]

Writes a copy whose string values are replaced by "<redacted N>" placeholders
(N = the original length). Property, class, function, variable and script
names, sizes and the object graph are kept, so the analyzer and DevTools show
the same leak. The input is never overwritten; the output is created 0600.
`
const DEFAULT_LEVEL = 6
// snapshot()'s gzipLevel range, from the capture schema.
const LEVEL = CAPTURE_SCHEMA.numbers.find((s) => s.name === 'gzipLevel')

function parse(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { help: { type: 'boolean', short: 'h' }, 'gzip-level': { type: 'string' } },
  })
  if (values.help) return { help: true }
  const level = values['gzip-level'] === undefined ? DEFAULT_LEVEL : Number(values['gzip-level'])
  if (!Number.isInteger(level) || level < LEVEL.min || level > LEVEL.max) throw new Error(`--gzip-level needs an integer from ${LEVEL.min} to ${LEVEL.max}`)
  if (positionals.length !== 2) throw new Error('redact takes an input snapshot and an output file')
  return { input: path.resolve(positionals[0]), output: path.resolve(positionals[1]), level }
}

/** Runs the command; resolves to the exit code (0 done, 1 failed, 2 usage). */
function main(argv) {
  return runCommand(argv, {
    usage: USAGE,
    parse,
    run: async (args) => {
      // A profile holds allocation stacks (function names, URLs), not the
      // heap's strings: nothing to redact, said plainly.
      if (/\.heapprofile$/.test(args.input)) {
        throw invalidOption('input', `${args.input} is a sampling heap profile, not a snapshot: it holds function names and script URLs, none of the heap's strings, so there is nothing to redact`)
      }
      const out = await native.redactSnapshotFile(args.input, args.output, args.level)
      process.stdout.write(`${out.path}: ${out.bytes} bytes (${out.rawBytes} bytes of snapshot JSON read)\n`)
    },
  })
}

module.exports = { main }

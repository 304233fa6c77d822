#!/usr/bin/env node
'use strict'

// leakwatch CLI: analyse heap snapshots offline.
//   leakwatch analyze <snapshots or directories...> [--json] [--html out.html]
//                     [--min-retained BYTES] [--max-suspects N] [--top-classes N] [--suspects]
//   leakwatch diff <snapshots or directories...> [same options]
//   leakwatch report saved.json [--json] [--html out.html]
const fs = require('fs')
const { parseArgs } = require('util')
const { analyze, reportFromJSON } = require('../lib/analyze')
const { writeHtml } = require('../lib/report-html')
const { runCommand } = require('../lib/cli-command')

const USAGE = `usage: leakwatch analyze <snapshot or directory>... [options]
       leakwatch diff <snapshot or directory>... [options]
       leakwatch report <report.json> [--json] [--html <file>]
       leakwatch redact <in.heapsnapshot[.gz]> <out.heapsnapshot.gz> [--gzip-level N]

analyze: any number of snapshot files or directories. Snapshots are grouped by
  process (the pid in leakwatch's file names), ordered by time, and the first,
  middle and last of one process are analysed; the report says what was chosen.
  One snapshot: the largest classes by retained size.
diff: like analyze, but needs at least two snapshots.
report: renders a report saved with --json again, as text or HTML.
redact: a copy whose string values are replaced by placeholders (leakwatch redact --help).

options:
  --json                 print the report as JSON
  --html <file>          also write the report as an HTML page (mode 0600)
  --min-retained <bytes> report only places that grew by at least this much (default 262144)
  --min-count <n>        also report places whose object count grew by n at every step (default 1000, 0: off)
  --max-suspects <n>     at most n suspects (default 10)
  --top-classes <n>      list n classes in the summary (default 15)
  --suspects             with one snapshot, list the biggest groups of alike objects
`

const OPTIONS = {
  json: { type: 'boolean' },
  html: { type: 'string' },
  'min-retained': { type: 'string' },
  'min-count': { type: 'string' },
  'max-suspects': { type: 'string' },
  'top-classes': { type: 'string' },
  suspects: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
}
const NUMERIC = { 'min-retained': 'minRetainedDelta', 'min-count': 'minCountDelta', 'max-suspects': 'maxSuspects', 'top-classes': 'topClasses' }

function usageError(message) {
  const err = new Error(message)
  err.usage = true
  return err
}

/** argv -> { files, json, html, help, opts }; option values are checked by analyze(). */
function parse(argv) {
  let parsed
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
  } catch (err) {
    throw usageError(err.message)
  }
  const { values, positionals } = parsed
  const opts = {}
  for (const [flag, name] of Object.entries(NUMERIC)) {
    if (values[flag] === undefined) continue
    const v = Number(values[flag])
    if (values[flag].trim() === '' || !Number.isFinite(v)) throw usageError(`--${flag} needs a number`)
    opts[name] = v
  }
  if (values.suspects) opts.singleSuspects = true
  return { files: positionals, json: !!values.json, html: values.html || null, help: !!values.help, opts }
}

/** The report of `command`: analysed now, or loaded from a saved --json file. */
async function load(command, args) {
  if (command === 'report') {
    if (args.files.length !== 1) throw usageError('report takes one saved JSON report')
    return reportFromJSON(fs.readFileSync(args.files[0], 'utf8'))
  }
  if (args.files.length === 0) throw usageError(`${command} needs snapshot files or a directory`)
  const report = await analyze(args.files, args.opts)
  if (command === 'diff' && report.summary.snapshots.length < 2) {
    throw usageError('diff needs at least two snapshots of one process')
  }
  return report
}

/** analyze, diff and report: parse, analyse or load, print. Resolves to the exit code. */
function reportCommand(command, argv) {
  return runCommand(argv, {
    usage: USAGE,
    parse,
    run: async (args) => {
      const report = await load(command, args)
      if (args.html) writeHtml(args.html, report)
      process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : report.toString())
    },
  })
}

// Subcommands: name -> (command, argv) => Promise<exit code>. A new subcommand
// is one line here, its code in its own module.
const COMMANDS = {
  analyze: reportCommand,
  diff: reportCommand,
  report: reportCommand,
  redact: (command, argv) => require('../lib/cli-redact').main(argv),
}

async function main(argv) {
  const [command, ...rest] = argv
  const run = Object.prototype.hasOwnProperty.call(COMMANDS, command) ? COMMANDS[command] : null
  if (!run) {
    if (command === '-h' || command === '--help') {
      process.stdout.write(USAGE)
      return 0
    }
    const said = command === undefined ? 'a command is needed' : `unknown command ${JSON.stringify(command)}`
    process.stderr.write(`leakwatch: ${said} (analyze, diff, report or redact)\n${USAGE}`)
    return 2
  }
  return run(command, rest)
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code
})

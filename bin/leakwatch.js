#!/usr/bin/env node
'use strict'

// leakwatch CLI: analyse heap snapshots offline.
//   leakwatch analyze <snapshots or directories...> [--json] [--html out.html]
//                     [--min-retained BYTES] [--max-suspects N] [--top-classes N] [--suspects]
//                     [--profile a.heapprofile]... [--no-profiles]
//   leakwatch analyze <a.heapprofile> [b.heapprofile] [c.heapprofile] [--json]
//   leakwatch diff <snapshots or directories...> [same options]
//   leakwatch report saved.json [--json] [--html out.html]
const fs = require('fs')
const { parseArgs } = require('util')
const { analyze, allocationSites, reportFromJSON, PROFILE_SUFFIX } = require('../lib/analyze')
const { writeHtml } = require('../lib/report-html')
const { runCommand } = require('../lib/cli-command')

const USAGE = `usage: leakwatch analyze <snapshot or directory>... [options]
       leakwatch analyze <a.heapprofile> [b.heapprofile] [c.heapprofile] [--json]
       leakwatch diff <snapshot or directory>... [options]
       leakwatch report <report.json> [--json] [--html <file>]
       leakwatch redact <in.heapsnapshot[.gz]> <out.heapsnapshot.gz> [--gzip-level N]

analyze: any number of snapshot files or directories. Snapshots are grouped by
  process (the pid in leakwatch's file names), ordered by time, and the first,
  middle and last of one process are analysed; the report says what was chosen.
  One snapshot: the largest classes by retained size.
  Sampling heap profiles (.heapprofile: V8's allocation stacks, saved by the
  watchdog as <snapshot base>.heapprofile beside its snapshots) name the code
  that allocated each suspect ("allocated by"); those beside the snapshots are
  read unless --profile or --no-profiles says otherwise, and the report says
  which were read. Given alone (one to three, oldest first): the allocation
  sites of those profiles, ranked by growth of live sampled bytes.
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
  --profile <file>       a .heapprofile of the same time window, instead of those beside
                         the snapshots; repeat for up to three, oldest first
  --no-profiles          read no .heapprofile (no sampled "allocated by" lines)

exit status: 0 done; 1 failed, its stable code first (ERR_LEAKWATCH_..., a value
the analysis refuses included); 2 arguments that do not parse (this text follows)
`

const OPTIONS = {
  json: { type: 'boolean' },
  html: { type: 'string' },
  'min-retained': { type: 'string' },
  'min-count': { type: 'string' },
  'max-suspects': { type: 'string' },
  'top-classes': { type: 'string' },
  suspects: { type: 'boolean' },
  profile: { type: 'string', multiple: true },
  'no-profiles': { type: 'boolean' },
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
  if (values.profile && values['no-profiles']) throw usageError('--profile and --no-profiles exclude each other')
  // Checked by analyze() with the rule of its `profiles` option.
  if (values.profile) opts.profiles = values.profile
  if (values['no-profiles']) opts.profiles = false
  const args = { files: positionals, json: !!values.json, html: values.html || null, help: !!values.help, opts }
  args.profilesOnly = positionals.length > 0 && positionals.every((f) => PROFILE_SUFFIX.test(f))
  if (args.profilesOnly && (Object.keys(opts).length > 0 || args.html)) {
    throw usageError('.heapprofile files alone take only --json (the other options are for snapshots)')
  }
  return args
}

/** `leakwatch analyze a.heapprofile...`: their allocation sites, as text or JSON. */
async function printProfileSites(args) {
  const sites = await allocationSites(args.files)
  if (args.json) {
    process.stdout.write(`${JSON.stringify(sites, null, 2)}\n`)
    return
  }
  const head = `leakwatch allocation sites of ${args.files.length} sampling heap profile${args.files.length > 1 ? 's' : ''} (no snapshot):\n` +
    args.files.map((f, i) => `  profile ${i + 1}: ${f}\n`).join('')
  const text = String(sites)
  process.stdout.write(`${head}\n${text || 'No allocation sites in these profiles (none grew, or all are Node\'s own).\n'}`)
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
      if (args.profilesOnly) {
        if (command !== 'analyze') throw usageError(`${command} needs snapshots; .heapprofile files alone: leakwatch analyze`)
        return printProfileSites(args)
      }
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

#!/usr/bin/env node
'use strict'

// leakwatch CLI: analyse heap snapshots offline.
//   leakwatch analyze a.heapsnapshot.gz [b c] [--json] [--html out.html]
//                     [--min-retained BYTES] [--max-suspects N] [--top-classes N]
//   leakwatch diff a b [c] [same options]
//   leakwatch report saved.json [--json] [--html out.html]
const fs = require('fs')
const { analyze, reportFromJSON } = require('../lib/analyze')
const { toHtml } = require('../lib/report-html')

const USAGE = `usage: leakwatch analyze <snapshot> [snapshot2 [snapshot3]] [options]
       leakwatch diff <snapshot1> <snapshot2> [snapshot3] [options]
       leakwatch report <report.json> [--json] [--html <file>]

analyze, one snapshot: the largest classes by retained size.
analyze or diff, two or three snapshots of one program (oldest first): leak suspects.
report: renders a report saved with --json again, as text or HTML.

options:
  --json                 print the report as JSON
  --html <file>          also write the report as an HTML page (mode 0600)
  --min-retained <bytes> report only places that grew by at least this much (default 262144)
  --max-suspects <n>     at most n suspects (default 10)
  --top-classes <n>      list n classes in the summary (default 15)
  --suspects             with one snapshot, list the biggest groups of alike objects
`

function parseArgs(argv) {
  const args = { files: [], json: false, html: null, opts: {} }
  const numeric = { '--min-retained': 'minRetainedDelta', '--max-suspects': 'maxSuspects', '--top-classes': 'topClasses' }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--json') args.json = true
    else if (a === '--suspects') args.opts.singleSuspects = true
    else if (a === '--html') args.html = argv[++i]
    else if (numeric[a]) {
      const v = Number(argv[++i])
      if (!Number.isFinite(v)) throw new Error(`${a} needs a number`)
      args.opts[numeric[a]] = v
    } else if (a === '-h' || a === '--help') args.help = true
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`)
    else args.files.push(a)
  }
  if (args.html === undefined) throw new Error('--html needs a file name')
  return args
}

const COMMANDS = new Set(['analyze', 'diff', 'report'])

/** The report of `command`: analysed now, or loaded from a saved --json file. */
async function load(command, args) {
  if (command === 'report') {
    if (args.files.length !== 1) throw usageError('report takes one saved JSON report')
    return reportFromJSON(fs.readFileSync(args.files[0], 'utf8'))
  }
  if (command === 'diff' && (args.files.length < 2 || args.files.length > 3)) {
    throw usageError('diff takes two or three snapshots, oldest first')
  }
  return analyze(args.files, args.opts)
}

function usageError(message) {
  const err = new Error(message)
  err.usage = true
  return err
}

async function main(argv) {
  const [command, ...rest] = argv
  if (command === 'redact') return require('../lib/cli-redact').main(rest)
  if (!COMMANDS.has(command)) {
    process.stderr.write(USAGE)
    return command === '-h' || command === '--help' ? 0 : 2
  }
  let args
  try {
    args = parseArgs(rest)
  } catch (err) {
    process.stderr.write(`leakwatch: ${err.message}\n${USAGE}`)
    return 2
  }
  if (args.help) {
    process.stdout.write(USAGE)
    return 0
  }
  try {
    const report = await load(command, args)
    if (args.html) fs.writeFileSync(args.html, toHtml(report, report.toString()), { mode: 0o600 })
    process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : report.toString())
    return 0
  } catch (err) {
    if (err.usage) {
      process.stderr.write(`leakwatch: ${err.message}\n${USAGE}`)
      return 2
    }
    process.stderr.write(`leakwatch: ${err.code ? `${err.code}: ` : ''}${err.message}\n`)
    return 1
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code
})

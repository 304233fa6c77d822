#!/usr/bin/env node
'use strict'

// leakwatch CLI: analyse heap snapshots offline.
//   leakwatch analyze a.heapsnapshot.gz [b c] [--json] [--html out.html]
//                     [--min-retained BYTES] [--max-suspects N] [--top-classes N]
const fs = require('fs')
const { analyze } = require('../lib/analyze')
const { toHtml } = require('../lib/report-html')

const USAGE = `usage: leakwatch analyze <snapshot> [snapshot2 [snapshot3]] [options]

One snapshot: the largest classes by retained size.
Two or three snapshots of one program (oldest first): leak suspects.

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

async function main(argv) {
  const [command, ...rest] = argv
  if (command !== 'analyze') {
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
    const report = await analyze(args.files, args.opts)
    if (args.html) fs.writeFileSync(args.html, toHtml(report, report.toString()), { mode: 0o600 })
    process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : report.toString())
    return 0
  } catch (err) {
    process.stderr.write(`leakwatch: ${err.code ? `${err.code}: ` : ''}${err.message}\n`)
    return 1
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code
})

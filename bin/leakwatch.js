#!/usr/bin/env node
'use strict'

// leakwatch CLI: analyse heap snapshots offline.
//   leakwatch analyze a.heapsnapshot.gz [b c] [--json] [--html out.html]
//                     [--min-retained BYTES] [--max-suspects N] [--top-classes N]
const fs = require('fs')
const { analyze } = require('../lib/analyze')

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

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c])
}

function toHtml(report) {
  const rows = report.suspects
    .map(
      (s, i) => `<tr><td>${i + 1}</td><td>${escapeHtml(s.constructor)}</td><td>${s.countDelta}</td>` +
        `<td>${s.retainedSizeDelta}</td><td>${s.shallowSizeDelta}</td><td><code>${escapeHtml(s.path)}</code></td>` +
        `<td>${s.location ? escapeHtml(`${s.location.scriptName || `script ${s.location.scriptId}`}:${s.location.line + 1}:${s.location.column + 1}`) : ''}</td></tr>`,
    )
    .join('\n')
  const classes = report.summary.topClasses
    .map((c) => `<tr><td>${escapeHtml(c.name)}</td><td>${c.count}</td><td>${c.shallowSize}</td><td>${c.retainedSize}</td></tr>`)
    .join('\n')
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>leakwatch report</title>
<style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}</style>
</head><body>
<h1>leakwatch heap analysis (${escapeHtml(report.summary.mode)})</h1>
<h2>Leak suspects</h2>
${report.suspects.length ? `<table><tr><th>#</th><th>class</th><th>count Δ</th><th>retained Δ (bytes)</th><th>shallow Δ (bytes)</th><th>retaining path</th><th>defined at</th></tr>\n${rows}</table>` : '<p>No leak suspects.</p>'}
<h2>Largest classes in the last snapshot</h2>
<table><tr><th>class</th><th>count</th><th>shallow (bytes)</th><th>retained (bytes)</th></tr>
${classes}</table>
<pre>${escapeHtml(report.toString())}</pre>
</body></html>
`
}

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
    if (args.html) fs.writeFileSync(args.html, toHtml(report), { mode: 0o600 })
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

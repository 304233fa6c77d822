'use strict'

// The analysis report as one self-contained HTML page: inline CSS and inline
// SVG charts, no scripts, fonts or images from anywhere else, because reports
// get mailed around and opened offline, and snapshots (hence reports) may hold
// secrets that must not leak through requests to third parties.

const fs = require('fs')
const path = require('path')
const { fromIo } = require('./errors')
const { where } = require('./growth-format')

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c])
}

// The analyzer's own formatter, so the page and the text report agree.
const humanBytes = (n) => require('./native').formatBytes(n)

const signed = (n) => (n > 0 ? `+${n}` : String(n))
const signedBytes = (n) => (n > 0 ? `+${humanBytes(n)}` : humanBytes(n))


const CHART_WIDTH = 900
const LABEL_WIDTH = 230
const VALUE_WIDTH = 250
const ROW = 34

/**
 * Horizontal bar chart, one row per item: a thick bar for `primary` and a thin
 * one below it for `secondary` (each scaled to its own maximum), so retained
 * growth and count growth can be compared at a glance.
 */
function barChart({ id, title, items, primary, secondary, label, caption }) {
  const barSpace = CHART_WIDTH - LABEL_WIDTH - VALUE_WIDTH
  const max1 = Math.max(1, ...items.map((it) => Math.abs(primary(it))))
  const max2 = secondary ? Math.max(1, ...items.map((it) => Math.abs(secondary(it)))) : 1
  const height = items.length * ROW + 10
  const rows = items.map((it, i) => {
    const y = 5 + i * ROW
    const w1 = Math.max(1, Math.round((Math.abs(primary(it)) / max1) * barSpace))
    const thin = secondary
      ? `<rect class="bar bar-count" x="${LABEL_WIDTH}" y="${y + 20}" width="${Math.max(1, Math.round((Math.abs(secondary(it)) / max2) * barSpace))}" height="6" data-value="${secondary(it)}"/>`
      : ''
    return `<g class="row" data-constructor="${escapeHtml(it.name)}">
<text class="label" x="${LABEL_WIDTH - 8}" y="${y + 14}" text-anchor="end">${escapeHtml(it.name.length > 32 ? `${it.name.slice(0, 31)}…` : it.name)}</text>
<rect class="bar bar-retained" x="${LABEL_WIDTH}" y="${y + 2}" width="${w1}" height="16" data-value="${primary(it)}"><title>${escapeHtml(`${it.name}: ${label(it)}`)}</title></rect>
${thin}
<text class="value" x="${LABEL_WIDTH + w1 + 6}" y="${y + 14}">${escapeHtml(label(it))}</text>
</g>`
  })
  return `<figure id="${id}"><figcaption>${escapeHtml(title)}</figcaption>
<svg class="chart" role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${CHART_WIDTH} ${height}" width="${CHART_WIDTH}" height="${height}" xmlns="http://www.w3.org/2000/svg">
${rows.join('\n')}
</svg>${caption ? `<p class="caption">${caption}</p>` : ''}</figure>`
}

/** Small grouped bars: a suspect's retained size in each snapshot. */
function perSnapshotChart(s) {
  const sizes = s.retainedSizes || []
  if (sizes.length < 2) return ''
  const max = Math.max(1, ...sizes)
  const w = 84
  const h = 86
  const bars = sizes
    .map((v, i) => {
      const bh = Math.max(1, Math.round((v / max) * (h - 30)))
      return `<rect class="bar bar-snapshot" x="${i * w + 16}" y="${h - 26 - bh}" width="${w - 32}" height="${bh}" data-value="${v}"><title>snapshot ${i + 1}: ${escapeHtml(humanBytes(v))}</title></rect>
<text class="tick" x="${i * w + w / 2}" y="${h - 14}" text-anchor="middle">snapshot ${i + 1}</text>
<text class="tick" x="${i * w + w / 2}" y="${h - 3}" text-anchor="middle">${escapeHtml(humanBytes(v))}</text>`
    })
    .join('\n')
  return `<svg class="mini" role="img" aria-label="retained size per snapshot" viewBox="0 0 ${sizes.length * w} ${h}" width="${sizes.length * w}" height="${h}" xmlns="http://www.w3.org/2000/svg">${bars}</svg>`
}

function pathSteps(path) {
  return `<ol class="path">${String(path)
    .split(' > ')
    .map((step) => `<li>${escapeHtml(step)}</li>`)
    .join('')}</ol>`
}

function suspectCard(s, i, single) {
  const growth = single
    ? `${s.countDelta} objects, ${humanBytes(s.retainedSizeDelta)} retained, ${humanBytes(s.shallowSizeDelta)} shallow`
    : `${signed(s.countDelta)} objects, ${signedBytes(s.retainedSizeDelta)} retained, ${signedBytes(s.shallowSizeDelta)} shallow`
  const facts = [`<li>${escapeHtml(growth)}</li>`]
  if (!single && s.counts && s.counts.length > 1) facts.push(`<li>count per snapshot: ${s.counts.join(' → ')}</li>`)
  if (s.survivors !== null && s.survivors !== undefined) {
    facts.push(`<li>created between snapshots 1 and 2, alive in 3: ${s.survivors}</li>`)
  }
  const at = where(s.location)
  const fn = s.holder && s.holder.function ? `<code>${escapeHtml(s.holder.function)}</code> ` : ''
  if (at) facts.push(`<li>${fn}defined at <code>${escapeHtml(at)}</code></li>`)
  const verdict = s.holder
    ? `<p class="holder">held by: ${escapeHtml(s.holder.description)}</p>
<p class="kind">kind: <code>${escapeHtml(s.kind)}</code>: ${escapeHtml(s.advice)}</p>`
    : ''
  return `<section class="suspect" id="suspect-${i + 1}">
<h3>${i + 1}. ${escapeHtml(s.constructor)}</h3>
${verdict}
<div class="facts"><ul>${facts.join('')}</ul>${single ? '' : perSnapshotChart(s)}</div>
<p class="retained-by">retained by:</p>
${pathSteps(s.path)}
<code class="path-text">${escapeHtml(s.path)}</code>
</section>`
}

function classTable(rows, withShallow) {
  return `<table><tr><th>class</th><th>count</th>${withShallow ? '<th>shallow</th>' : ''}<th>retained</th></tr>
${rows
  .map(
    (c) => `<tr><td>${escapeHtml(c.name)}</td><td class="n">${c.count}</td>${withShallow ? `<td class="n">${escapeHtml(humanBytes(c.shallowSize))}</td>` : ''}<td class="n">${escapeHtml(humanBytes(c.retainedSize))}</td></tr>`,
  )
  .join('\n')}</table>`
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2330;max-width:1000px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #d8dde6}h3{margin:0 0 6px}
figure{margin:12px 0}figcaption{font-weight:600;margin-bottom:6px}.caption{color:#5b6475;font-size:12px;margin:4px 0}
.chart .label,.chart .value,.mini .tick{font-size:12px;fill:#1d2330}.mini .tick{font-size:10px}
.bar-retained{fill:#d9534f}.bar-count{fill:#5b8def}.bar-snapshot{fill:#e8918e}
.suspect{border:1px solid #d8dde6;border-radius:6px;padding:10px 14px;margin:12px 0}
.facts{display:flex;gap:24px;align-items:flex-end}.facts ul{margin:0;padding-left:18px;flex:1}
.path{list-style:none;padding:0;margin:4px 0;display:flex;flex-wrap:wrap;gap:4px}
.path li{background:#eef1f6;border-radius:4px;padding:2px 6px;font-family:ui-monospace,monospace;font-size:12px}
.path li+li::before{content:"→ ";color:#8a93a6}.path li:last-child{background:#fbe3e2;font-weight:600}
.path-text{display:none}.retained-by{margin:8px 0 0;color:#5b6475}
table{border-collapse:collapse}td,th{border:1px solid #d8dde6;padding:3px 8px;text-align:left}td.n{text-align:right}
.meta{color:#5b6475}pre{background:#f6f7f9;padding:8px;overflow:auto;font-size:12px}`

/** Renders a report (as returned by analyze(), or its JSON) as an HTML page. */
function toHtml(report, text) {
  const summary = report.summary
  const single = summary.mode === 'single'
  const suspects = report.suspects || []
  const snapshots = summary.snapshots
    .map((s, i) => `<li>snapshot ${i + 1}: ${escapeHtml(s.file)} (${s.nodeCount} nodes, ${s.edgeCount} edges, ${escapeHtml(humanBytes(s.totalSize))})</li>`)
    .join('')
  let chart
  if (suspects.length && !single) {
    chart = barChart({
      id: 'growth-chart',
      title: 'Growth by suspect (last snapshot minus first)',
      items: suspects.map((s) => ({ ...s, name: s.constructor })),
      primary: (s) => s.retainedSizeDelta,
      secondary: (s) => s.countDelta,
      label: (s) => `${signedBytes(s.retainedSizeDelta)} retained, ${signed(s.countDelta)} objects`,
      caption: 'Red: retained-size growth. Blue: object-count growth (each scaled to its largest value).',
    })
  } else {
    chart = barChart({
      id: 'classes-chart',
      title: 'Largest classes by retained size',
      items: summary.topClasses,
      primary: (c) => c.retainedSize,
      secondary: (c) => c.count,
      label: (c) => `${humanBytes(c.retainedSize)} retained, ${c.count} objects`,
      caption: 'Red: retained size. Blue: object count (each scaled to its largest value).',
    })
  }
  const heading = single ? 'Biggest groups of alike objects' : 'Leak suspects, worst first'
  const body = suspects.length
    ? suspects.map((s, i) => suspectCard(s, i, single)).join('\n')
    : `<p class="none">${single ? 'No groups listed (run with --suspects to list them).' : 'No leak suspects: nothing grew above the threshold.'}</p>`
  const notes = summary.selection && summary.selection.notes.length
    ? `<ul class="notes">${summary.selection.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`
    : ''
  const survivors = summary.survivors && summary.survivors.length
    ? `<h2>Created between snapshots 1 and 2, still alive in 3</h2>\n${classTable(summary.survivors, false)}`
    : ''
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>leakwatch report</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${STYLE}</style>
</head><body>
<h1>leakwatch heap analysis <span class="meta">(${escapeHtml(summary.mode)} mode)</span></h1>
<ul class="meta">${snapshots}</ul>
${notes}
${chart}
<h2>${heading}</h2>
${body}
${survivors}
<h2>Largest classes in the last snapshot</h2>
${classTable(summary.topClasses, true)}
${text ? `<details><summary>Report as text</summary><pre>${escapeHtml(text)}</pre></details>` : ''}
</body></html>
`
}

/**
 * Writes the page for `report` to `file`: mode 0600 (reports hold what the
 * heap held), through a temp file renamed into place, so a reader never sees
 * half a page. Throws a LeakwatchError (ERR_LEAKWATCH_DIR_NOT_WRITABLE for a
 * missing or unwritable directory, _DISK_FULL, _IO).
 */
function writeHtml(file, report) {
  const html = toHtml(report, report.toString())
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`)
  try {
    fs.writeFileSync(temp, html, { mode: 0o600, flag: 'wx' })
    fs.renameSync(temp, file)
  } catch (err) {
    // The directory may not be one (a file in the way): nothing to remove then.
    try { fs.rmSync(temp, { force: true }) } catch { /* never created */ }
    throw fromIo(`writing the HTML report ${file}`, err)
  }
}

module.exports = { toHtml, writeHtml, escapeHtml, humanBytes }

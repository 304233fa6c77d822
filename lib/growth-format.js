'use strict'

// Messages for growth verdicts: what a failing leak test prints.

// The one byte formatter (the analyzer's, src/heap/report.rs), so a failing
// leak test and the report it quotes write sizes alike.
const bytes = (n) => require('./native').formatBytes(n)

function perCall(n) {
  return `${Number.isFinite(n) ? (Math.abs(n) >= 100 ? Math.round(n) : n.toFixed(1)) : 'n/a'} B per iteration`
}

function pct(c) {
  return `${(100 * c).toFixed(c > 0.999 ? 3 : 1)}%`
}

// The one position format in JS (Jest messages, the HTML report), as the text report writes it
// (src/heap/allocation/render.rs): V8 writes zero-based lines and columns,
// editors count from one; a position V8 does not know is the file alone.
// Positions arrive already mapped to original sources (lib/source-maps.js).
function position(file, line, column) {
  return line >= 0 ? `${file}:${line + 1}:${column + 1}` : file
}

function where(loc) {
  if (!loc) return ''
  return position(loc.scriptName || `script ${loc.scriptId}`, loc.line, loc.column)
}

// Longest path printed; a linked list (timer lists, `next` chains) can make
// the shortest retaining path thousands of edges long.
const MAX_PATH_STEPS = 16

/** Collapses runs of one edge name and elides the middle of very long paths. */
function compactPath(p) {
  if (typeof p !== 'string') return ''
  const steps = []
  for (const step of p.split(' > ')) {
    const last = steps[steps.length - 1]
    if (last && last.name === step) last.n++
    else steps.push({ name: step, n: 1 })
  }
  let parts = steps.map((s) => (s.n > 2 ? `${s.name} (x${s.n})` : Array(s.n).fill(s.name).join(' > ')))
  parts = parts.join(' > ').split(' > ')
  if (parts.length > MAX_PATH_STEPS) {
    const head = parts.slice(0, 5)
    const tail = parts.slice(parts.length - (MAX_PATH_STEPS - 6))
    parts = [...head, `... ${parts.length - head.length - tail.length} more ...`, ...tail]
  }
  return parts.join(' > ')
}

function signed(n) {
  return n > 0 ? `+${n}` : String(n)
}

/** The measurement in one line, for both verdicts. */
function measurement(r) {
  return `${perCall(r.bytesPerIteration)} (Theil-Sen slope; budget ${r.budgetBytesPerIteration} B), ` +
    `confidence of growth ${pct(r.confidence)} (required ${pct(r.requiredConfidence)}), ` +
    `total growth ${bytes(r.growthBytes)} over ${r.rounds} rounds of ${r.iterations} calls ` +
    `after ${r.warmupIterations} warm-up calls`
}

/** `fn (file:line:col)` of an allocation site (zero-based positions). */
function allocatedBy(a) {
  return `${a.functionName || '(anonymous)'} (${position(a.url || 'native', a.line, a.column)})`
}

function suspectLines(r) {
  const lines = []
  if (r.suspects && r.suspects.length) {
    lines.push(`Top suspects (3 snapshots and a sampling heap profile over 2 x ${r.explainCalls} more calls):`)
    r.suspects.slice(0, 3).forEach((s, i) => {
      lines.push(`  ${i + 1}. ${s.constructor}: ${signed(s.countDelta)} objects, ${bytes(s.retainedSizeDelta)} retained` +
        (s.survivors != null ? `, ${s.survivors} survivors` : ''))
      if (s.holder) lines.push(`     held by: ${s.holder.description}`)
      if (s.kind) lines.push(`     kind:    ${s.kind}: ${s.advice}`)
      lines.push(`     retained by: ${compactPath(s.path)}`)
      // The location is the listener's, timer callback's or capturing closure's.
      if (s.location) lines.push(`     ${s.holder && s.holder.function ? `\`${s.holder.function}\`` : 'function'} defined at: ${where(s.location)}`)
      if (s.allocation) lines.push(`     allocated by: ${allocatedBy(s.allocation)}`)
    })
    if (r.allocationError) lines.push(`No allocation sites: ${r.allocationError}.`)
  } else if (r.explainError) {
    lines.push(`No suspects: the snapshot analysis failed (${r.explainError}).`)
  } else if (r.explainCalls !== undefined && !r.explainSkipped) {
    lines.push(`No suspects: the growth is spread over many small places or held outside the JS heap (Buffers, native memory).`)
  }
  if (!(r.suspects && r.suspects.length) && r.allocationSites && r.allocationSites.length) {
    lines.push(`Allocated by: ${allocatedBy(r.allocationSites[0])} (sampling heap profile over ${r.explainCalls} more calls)`)
    for (const site of r.allocationSites.slice(1, 3)) lines.push(`          also: ${allocatedBy(site)}`)
  }
  if (r.explainSkipped) {
    const k = r.explainSkipped
    const next = Math.ceil((k.neededMs * 2) / 5000) * 5000
    const raise = k.limit === 'timeoutMs'
      ? `raise the timeoutMs option (${k.budgetMs} ms were left of it; try { timeoutMs: ${Math.max(next, 60000)} })`
      : `raise the timeout: jest.setTimeout(${next}), testTimeout in the Jest config, or a timeout as the test's third argument`
    const where = k.limit === 'timeoutMs' ? 'timeoutMs' : "the test's timeout"
    if (k.snapshotMs === 0) {
      lines.push(`Culprit not named: the verdict left ${Math.max(0, k.budgetMs)} ms of ${where}. To name the allocating function and the holder, ${raise}.`)
    } else {
      lines.push(`Holder not named: three heap snapshots (${k.estimated ? 'an estimated ' : ''}${k.snapshotMs} ms ${k.estimated ? 'each' : 'for the first here'}) ` +
        `would end past the ${k.budgetMs} ms left of ${where}. To name the growing structure and its holder, ${raise}.`)
    }
  }

  return lines
}

function formatLeak(r) {
  return [
    `the function leaks: the heap grows ${perCall(r.bytesPerIteration)}.`,
    `Measured: ${measurement(r)}.`,
    ...suspectLines(r),
  ].join('\n')
}

function formatNoLeak(r) {
  let why = r.confidence < r.requiredConfidence
    ? 'no significant growth'
    // Statistically sure, yet small: said as a size, not as "significant".
    : `steady growth of only ${perCall(r.bytesPerIteration)}, within the budget of ${r.budgetBytesPerIteration} B per iteration`
  if (r.judgement === 'compiling') {
    why = `growth that V8's compiling accounts for (compiled code and bytecode ${perCall(r.compiledBytesPerIteration)}, ` +
      `${perCall(r.netBytesPerIteration)} net of twice that), and no later window within the time budget showed a leak`
  }
  return `${why}. Measured: ${measurement(r)}.`
}

module.exports = { formatLeak, formatNoLeak, bytes, compactPath, allocatedBy, where }

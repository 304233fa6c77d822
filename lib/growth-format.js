'use strict'

// Messages for growth verdicts: what a failing leak test prints.

function bytes(n) {
  const sign = n < 0 ? '-' : ''
  const a = Math.abs(n)
  if (a < 1024) return `${sign}${Math.round(a)} B`
  if (a < 1024 * 1024) return `${sign}${(a / 1024).toFixed(1)} KiB`
  return `${sign}${(a / 1024 / 1024).toFixed(2)} MiB`
}

function perCall(n) {
  return `${Number.isFinite(n) ? (Math.abs(n) >= 100 ? Math.round(n) : n.toFixed(1)) : 'n/a'} B per iteration`
}

function pct(c) {
  return `${(100 * c).toFixed(c > 0.999 ? 3 : 1)}%`
}

function where(loc) {
  if (!loc) return ''
  const file = loc.scriptName || `script ${loc.scriptId}`
  // V8 writes zero-based lines and columns; editors count from one.
  return `${file}:${loc.line + 1}:${loc.column + 1}`
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

function suspectLines(r) {
  const lines = []
  if (r.suspects && r.suspects.length) {
    lines.push(`Top suspects (3-snapshot analysis over 2 x ${r.explainCalls} more calls):`)
    r.suspects.slice(0, 3).forEach((s, i) => {
      lines.push(`  ${i + 1}. ${s.constructor}: ${signed(s.countDelta)} objects, ${bytes(s.retainedSizeDelta)} retained` +
        (s.survivors != null ? `, ${s.survivors} survivors` : ''))
      if (s.holder) lines.push(`     held by: ${s.holder.description}`)
      if (s.kind) lines.push(`     kind:    ${s.kind}: ${s.advice}`)
      lines.push(`     retained by: ${compactPath(s.path)}`)
      // The location is the listener's, timer callback's or capturing closure's.
      if (s.location) lines.push(`     ${s.holder && s.holder.function ? `\`${s.holder.function}\`` : 'function'} defined at: ${where(s.location)}`)
    })
  } else if (r.explainError) {
    lines.push(`No suspects: the snapshot analysis failed (${r.explainError}).`)
  } else if (r.explainCalls !== undefined) {
    lines.push(`No suspects: the growth is spread over many small places or held outside the JS heap (Buffers, native memory).`)
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
  const why = r.confidence < r.requiredConfidence
    ? 'no significant growth'
    : `significant growth, but within the budget of ${r.budgetBytesPerIteration} B per iteration`
  return `${why}. Measured: ${measurement(r)}.`
}

module.exports = { formatLeak, formatNoLeak, bytes, compactPath }

'use strict'
// A strict parser for the Prometheus text exposition format 0.0.4, enough to
// prove that what leakwatch serves is what a Prometheus server accepts.
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\\\|\\"|\\n)*)"$/
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped'])

function parseLabels(text) {
  const labels = {}
  if (!text) return labels
  // Split on commas outside quotes.
  const parts = text.match(/[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"/g) || []
  if (parts.join(',') !== text) throw new Error(`bad label set {${text}}`)
  for (const p of parts) {
    const m = LABEL.exec(p)
    if (!m) throw new Error(`bad label ${p}`)
    labels[m[1]] = m[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\')
  }
  return labels
}

function parseValue(v) {
  if (v === '+Inf') return Infinity
  if (v === '-Inf') return -Infinity
  if (v === 'NaN') return NaN
  if (!/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(v)) throw new Error(`bad value ${v}`)
  return Number(v)
}

/** Returns { families: {name: {type, help, samples: [{name, labels, value}]}} }. */
function parsePrometheusText(text) {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline')
  const families = {}
  const familyOf = (sample) => Object.keys(families).find((f) =>
    sample === f || (['histogram', 'summary'].includes(families[f].type) && /^_(bucket|sum|count)$/.test(sample.slice(f.length)) && sample.startsWith(f)))
  for (const line of text.split('\n')) {
    if (line === '') continue
    let m
    if ((m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line))) {
      const [, kind, name, rest] = m
      if (!NAME.test(name)) throw new Error(`bad metric name ${name}`)
      families[name] = families[name] || { samples: [] }
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) throw new Error(`bad type ${rest}`)
        if (families[name].samples.length) throw new Error(`TYPE after samples for ${name}`)
        families[name].type = rest
      } else families[name].help = rest
      continue
    }
    if (line.startsWith('#')) continue
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)( -?\d+)?$/.exec(line)
    if (!m) throw new Error(`bad sample line: ${line}`)
    const family = familyOf(m[1])
    if (!family) throw new Error(`sample ${m[1]} has no TYPE`)
    families[family].samples.push({ name: m[1], labels: parseLabels(m[2]), value: parseValue(m[3]) })
  }
  return { families }
}

module.exports = { parsePrometheusText }

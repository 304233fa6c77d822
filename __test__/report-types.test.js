'use strict'
// The report's TypeScript types (lib/analyze.d.ts) are checked against the
// Rust structs that serialize it (src/heap/*.rs, serde camelCase): a field
// added, renamed or removed on one side fails here until the other follows.
const fs = require('fs')
const path = require('path')

const ROOT = path.join(__dirname, '..')
const camel = (s) => s.replace(/_([a-z])/g, (_, c) => c.toUpperCase())

function rustSources() {
  const dir = path.join(ROOT, 'src', 'heap')
  const files = fs.readdirSync(dir, { recursive: true }).filter((f) => f.endsWith('.rs') && !/tests?\.rs$/.test(f))
  return files.map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n')
}

/** `[serialized name, type]` of each field of `pub struct name`, after serde's renames. */
function rustFieldTypes(src, name) {
  const m = new RegExp(`pub struct ${name} \\{([\\s\\S]*?)\\n\\}`).exec(src)
  if (!m) throw new Error(`no pub struct ${name} in src/heap`)
  const fields = []
  let rename = null
  for (const line of m[1].split('\n')) {
    const r = /#\[serde\(rename = "([^"]+)"\)\]/.exec(line)
    if (r) rename = r[1]
    const f = /^\s*pub ([a-z_0-9]+): (.*),\s*$/.exec(line)
    if (f) {
      fields.push([rename || camel(f[1]), f[2]])
      rename = null
    }
  }
  return fields
}

/** Serialized field names of `pub struct name`, after serde's renames. */
function rustFields(src, name) {
  return rustFieldTypes(src, name).map(([f]) => f).sort()
}

/** `[name, type]` of each field of `export interface name`, with those of the interface it extends. */
function tsFieldTypes(dts, name) {
  const m = new RegExp(`export (?:interface|declare class) ${name}(?: extends (\\w+))? \\{([\\s\\S]*?)\\n\\}`).exec(dts)
  if (!m) throw new Error(`no interface ${name} in lib/analyze.d.ts`)
  const own = [...m[2].matchAll(/^ {2}([a-zA-Z]+)\??: (.*)$/gm)].map((x) => [x[1], x[2]])
  return [...own, ...(m[1] ? tsFieldTypes(dts, m[1]) : [])]
}

/** Field names of `export interface name`, with those of the interface it extends. */
function tsFields(dts, name) {
  return tsFieldTypes(dts, name).map(([f]) => f).sort()
}

// Fields the JS layer adds after the Rust has serialized the report:
// lib/source-maps.js maps positions and keeps V8's own in `generated`.
const ADDED_IN_JS = { AllocationSite: ['generated'], SourceLocation: ['generated'] }

const rust = rustSources()
const dts = fs.readFileSync(path.join(ROOT, 'lib', 'analyze.d.ts'), 'utf8')

test.each(['Suspect', 'MergedGroup', 'Holder', 'AllocationSite', 'ClassStat', 'SnapshotSummary', 'Summary', 'SourceLocation', 'ProfilesRead'])(
  '%s: the types list exactly the fields the Rust serializes',
  (name) => {
    expect(tsFields(dts, name)).toEqual([...rustFields(rust, name), ...(ADDED_IN_JS[name] || [])].sort())
  },
)

test('LeakKind lists exactly the kinds the Rust names', () => {
  const m = /pub enum LeakKind \{([\s\S]*?)\n\}/.exec(rust)
  const kebab = (s) => s.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()
  const variants = [...m[1].matchAll(/^\s{4}([A-Z][A-Za-z]+),/gm)].map((x) => kebab(x[1])).sort()
  const union = /export type LeakKind =([^]*?)\n\n/.exec(dts)[1]
  expect([...union.matchAll(/'([a-z-]+)'/g)].map((x) => x[1]).sort()).toEqual(variants)
})

// Every position of a report (a struct or interface with a line and a column)
// is mapped to original sources through ONE list, lib/source-maps.js
// REPORT_POSITIONS. A position field added to the report on either side and
// not listed there fails here (it would stay at V8's generated position).
const { REPORT_POSITIONS } = require('../lib/source-maps')

/**
 * Paths (`suspects[].location`) of every field reachable from `root` whose
 * type is a position. `fieldsOf(type)` gives `[name, type expression]`, or
 * null for a type that is not the report's own (numbers, strings, inline).
 */
function positionPaths(root, fieldsOf, parseType) {
  const isPosition = (t) => { const f = fieldsOf(t); return !!f && ['line', 'column'].every((n) => f.some(([x]) => x === n)) }
  const out = []
  const walk = (type, at, seen) => {
    for (const [name, expr] of fieldsOf(type) || []) {
      const { type: t, many } = parseType(expr)
      if (!t || seen.includes(t) || name === 'generated') continue
      const here = `${at}${at ? '.' : ''}${name}${many ? '[]' : ''}`
      if (isPosition(t)) out.push(here)
      walk(t, here, [...seen, t])
    }
  }
  walk(root, '', [root])
  return out.sort()
}

const rustTypes = (t) => (new RegExp(`pub struct ${t} \\{`).test(rust) ? rustFieldTypes(rust, t) : null)
function rustType(expr) {
  const many = /^(?:Option<)?Vec</.test(expr)
  const inner = /(\w+)>*$/.exec(expr.replace(/^(?:Option|Vec|Box)<|>$/g, ''))
  return { type: inner && /^[A-Z]/.test(inner[1]) ? inner[1] : null, many }
}
const tsTypes = (t) => (new RegExp(`export (?:interface|declare class) ${t}\\b`).test(dts) ? tsFieldTypes(dts, t) : null)
function tsType(expr) {
  const m = /^([A-Z]\w*)(\[\])?/.exec(expr)
  return { type: m ? m[1] : null, many: !!(m && m[2]) }
}

test('every position of a report is in the one list source maps go through', () => {
  const listed = REPORT_POSITIONS.map(([at]) => at).sort()
  expect(positionPaths('Report', rustTypes, rustType)).toEqual(listed)
  expect(positionPaths('Report', tsTypes, tsType)).toEqual(listed)
})

test('the position walk finds a position field added anywhere', () => {
  const extended = dts.replace('export interface MergedGroup {', 'export interface MergedGroup {\n  definedAt: SourceLocation | null')
  const types = (t) => (new RegExp(`export (?:interface|declare class) ${t}\\b`).test(extended) ? tsFieldTypes(extended, t) : null)
  expect(positionPaths('Report', types, tsType)).toContain('suspects[].merged[].definedAt')
  const rustExtended = rust.replace('pub struct MergedGroup {', 'pub struct MergedGroup {\n    pub defined_at: Option<SourceLocation>,')
  const structs = (t) => (new RegExp(`pub struct ${t} \\{`).test(rustExtended) ? rustFieldTypes(rustExtended, t) : null)
  expect(positionPaths('Report', structs, rustType)).toContain('suspects[].merged[].definedAt')
})

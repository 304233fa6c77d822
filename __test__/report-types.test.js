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

/** Serialized field names of `pub struct name`, after serde's renames. */
function rustFields(src, name) {
  const m = new RegExp(`pub struct ${name} \\{([\\s\\S]*?)\\n\\}`).exec(src)
  if (!m) throw new Error(`no pub struct ${name} in src/heap`)
  const fields = []
  let rename = null
  for (const line of m[1].split('\n')) {
    const r = /#\[serde\(rename = "([^"]+)"\)\]/.exec(line)
    if (r) rename = r[1]
    const f = /^\s*pub ([a-z_0-9]+):/.exec(line)
    if (f) {
      fields.push(rename || camel(f[1]))
      rename = null
    }
  }
  return fields.sort()
}

/** Field names of `export interface name`, with those of the interface it extends. */
function tsFields(dts, name) {
  const m = new RegExp(`export (?:interface|declare class) ${name}(?: extends (\\w+))? \\{([\\s\\S]*?)\\n\\}`).exec(dts)
  if (!m) throw new Error(`no interface ${name} in lib/analyze.d.ts`)
  const own = [...m[2].matchAll(/^ {2}([a-zA-Z]+)\??:/gm)].map((x) => x[1])
  return [...own, ...(m[1] ? tsFields(dts, m[1]) : [])].sort()
}

// Fields the JS layer adds after the Rust has serialized the report:
// lib/source-maps.js maps positions and keeps V8's own in `generated`.
const ADDED_IN_JS = { AllocationSite: ['generated'] }

const rust = rustSources()
const dts = fs.readFileSync(path.join(ROOT, 'lib', 'analyze.d.ts'), 'utf8')

test.each(['Suspect', 'MergedGroup', 'Holder', 'AllocationSite', 'ClassStat', 'SnapshotSummary', 'Summary', 'SourceLocation'])(
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

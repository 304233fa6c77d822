'use strict'
const { requireBenchDep } = require('../scripts/bench-deps')
// npm run verify:memlab — checks leakwatch's per-class retained sizes against
// memlab's on one snapshot (bench/fixtures/memlab-agreement-heap.js). For the
// top 20 classes it prints both figures and their relative difference and
// writes bench/results/memlab-agreement.json. memlab is a devDependency used
// only here, as an independent implementation to compare against.
//
// memlab's side: getFullHeapFromFile() computes its own dominators and retained
// sizes; per class we sum node.retainedSize over the class's nodes that no other
// node of the class dominates, using memlab's own aggregateDominatorMetrics().
// Classes are named as leakwatch names them (constructor name for objects,
// `(string)`, `(array)`, ... for the rest), so rows match one to one.
const { spawnSync } = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')

const ROOT = path.join(__dirname, '..')
const OUT = path.join(__dirname, 'results', 'memlab-agreement.json')
const TOP = 20
const TOLERANCE = 0.01

// Why some classes differ by more than the tolerance; see docs/analyzer.md.
// Differences of WeakMap key classes are checked numerically below; this entry
// is the knock-on effect on the array that holds the keys, checked by hand.
const EXPLAINED = {
  Array:
    'knock-on effect of WeakMap values being retained by their keys: the `tokens` Array now retains ' +
    'the 20,000 TokenMeta values (+2.72 MB), while their 20,000 `scopes` arrays stop being top-level ' +
    'Arrays because the `tokens` Array dominates them (-1.92 MB); see docs/analyzer.md',
}

const EPHEMERON = /part of key \(.*@(\d+)\) -> value \(/

// Per class of WeakMap key: memlab's retained size of the values those keys
// hold. V8 emits two internal edges to each WeakMap value, one from the key and
// one from the table; memlab counts both, leakwatch only the key's, so for key
// classes leakwatch's figure should exceed memlab's by exactly this much.
function ephemeronValuesByKeyClass(heap) {
  const out = new Map()
  heap.nodes.forEach((node) => {
    for (const edge of node.references) {
      if (edge.type !== 'internal') continue
      const m = EPHEMERON.exec(String(edge.name_or_index))
      if (!m || Number(m[1]) !== node.id) continue
      const name = className(node)
      out.set(name, (out.get(name) || 0) + edge.toNode.retainedSize)
    }
  })
  return out
}

function className(node) {
  switch (node.type) {
    case 'object':
    case 'native':
      return node.name
    case 'closure':
      return node.name || '(anonymous function)'
    case 'hidden':
      return '(system)'
    case 'code':
      return '(compiled code)'
    default:
      return `(${node.type})`
  }
}

function memlabByClass(heap, names) {
  const { utils } = requireBenchDep('@memlab/core')
  const idsByClass = new Map(names.map((n) => [n, new Set()]))
  const counts = new Map(names.map((n) => [n, { count: 0, shallowSize: 0 }]))
  heap.nodes.forEach((node) => {
    if (node.nodeIndex === 0) return
    const ids = idsByClass.get(className(node))
    if (!ids) return
    ids.add(node.id)
    const c = counts.get(className(node))
    c.count += 1
    c.shallowSize += node.self_size
  })
  const out = new Map()
  for (const name of names) {
    const retainedSize = utils.aggregateDominatorMetrics(idsByClass.get(name), heap, () => true, utils.getRetainedSize)
    out.set(name, { ...counts.get(name), retainedSize })
  }
  return out
}

// memlab's own top classes, by the same top-level rule, so that a class it
// ranks high but leakwatch does not still shows up in the comparison.
function memlabTopNames(heap, k) {
  const n = heap.nodes.length
  const cls = new Array(n)
  const dom = new Uint32Array(n)
  const retained = new Float64Array(n)
  heap.nodes.forEach((node) => {
    cls[node.nodeIndex] = className(node)
    dom[node.nodeIndex] = node.dominatorNode ? node.dominatorNode.nodeIndex : 0
    retained[node.nodeIndex] = node.retainedSize
  })
  // Children lists of memlab's dominator tree, then one DFS that counts a node
  // only when no ancestor on its dominator path has the same class.
  const first = new Uint32Array(n + 1)
  for (let v = 1; v < n; v++) if (dom[v] !== v) first[dom[v] + 1]++
  for (let i = 1; i <= n; i++) first[i] += first[i - 1]
  const fill = first.slice()
  const kids = new Uint32Array(first[n])
  for (let v = 1; v < n; v++) if (dom[v] !== v) kids[fill[dom[v]]++] = v
  const depth = new Map()
  const sums = new Map()
  const stack = [[0, first[0]]]
  while (stack.length) {
    const top = stack[stack.length - 1]
    const [v, pos] = top
    if (pos < first[v + 1]) {
      top[1]++
      const c = kids[pos]
      const name = cls[c]
      const d = depth.get(name) || 0
      if (d === 0) sums.set(name, (sums.get(name) || 0) + retained[c])
      depth.set(name, d + 1)
      stack.push([c, first[c]])
    } else {
      stack.pop()
      if (v !== 0) depth.set(cls[v], depth.get(cls[v]) - 1)
    }
  }
  return [...sums.entries()].sort((a, b) => b[1] - a[1]).slice(0, k).map(([name]) => name)
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-memlab-'))
  try {
    const file = process.env.VERIFY_SNAPSHOT || path.join(dir, 'agreement.heapsnapshot')
    if (!process.env.VERIFY_SNAPSHOT) {
      const fixture = path.join(__dirname, 'fixtures', 'memlab-agreement-heap.js')
      const g = spawnSync(process.execPath, ['--expose-gc', fixture, file], { stdio: 'inherit' })
      if (g.status !== 0) throw new Error('fixture failed')
    }
    const { analyze } = require(path.join(ROOT, 'lib', 'analyze.js'))
    let t = Date.now()
    const report = await analyze([file], { topClasses: 100000 })
    const oursMs = Date.now() - t
    const ours = new Map(report.summary.topClasses.map((c) => [c.name, c]))

    const { getFullHeapFromFile } = requireBenchDep('@memlab/heap-analysis')
    t = Date.now()
    const heap = await getFullHeapFromFile(file)
    const memlabTop = memlabTopNames(heap, TOP)
    const oursTop = report.summary.topClasses.slice(0, TOP).map((c) => c.name)
    const names = [...new Set([...oursTop, ...memlabTop])]
    const theirs = memlabByClass(heap, names)
    const ephemeronValues = ephemeronValuesByKeyClass(heap)
    const memlabMs = Date.now() - t

    const rows = names.map((name) => {
      const o = ours.get(name) || { count: 0, shallowSize: 0, retainedSize: 0 }
      const m = theirs.get(name)
      const base = Math.max(m.retainedSize, 1)
      const relDiff = (o.retainedSize - m.retainedSize) / base
      const values = ephemeronValues.get(name) || 0
      let explanation = EXPLAINED[name] || null
      if (values && Math.abs(o.retainedSize - m.retainedSize - values) <= TOLERANCE * base) {
        explanation =
          `WeakMap keys: leakwatch, like DevTools, lets each WeakMap value be retained by its key ` +
          `(the table's edge to the value does not dominate), memlab counts the table's edge too; ` +
          `the difference equals memlab's retained size of the values these keys hold (${values} bytes)`
      }
      return {
        name,
        ours: { count: o.count, shallowSize: o.shallowSize, retainedSize: o.retainedSize },
        memlab: { count: m.count, shallowSize: m.shallowSize, retainedSize: m.retainedSize },
        relDiff,
        withinTolerance: Math.abs(relDiff) <= TOLERANCE,
        weakMapValuesRetained: values || undefined,
        explanation,
      }
    })
    rows.sort((a, b) => b.ours.retainedSize - a.ours.retainedSize)

    const pad = (s, n) => String(s).padEnd(n)
    const lpad = (s, n) => String(s).padStart(n)
    console.log(`\n${pad('class', 28)} ${lpad('leakwatch', 12)} ${lpad('memlab', 12)} ${lpad('diff %', 8)} ${lpad('count', 8)} ${lpad('memlab #', 8)}`)
    for (const r of rows) {
      const flag = r.withinTolerance ? '' : r.explanation ? '  (explained)' : '  <-- UNEXPLAINED'
      console.log(`${pad(r.name.slice(0, 28), 28)} ${lpad(r.ours.retainedSize, 12)} ${lpad(r.memlab.retainedSize, 12)} ${lpad((r.relDiff * 100).toFixed(2), 8)} ${lpad(r.ours.count, 8)} ${lpad(r.memlab.count, 8)}${flag}`)
    }
    const snap = report.summary.snapshots[0]
    const unexplained = rows.filter((r) => !r.withinTolerance && !r.explanation).map((r) => r.name)
    const result = {
      date: new Date().toISOString(),
      node: process.version,
      memlab: requireBenchDep('@memlab/core/package.json').version,
      snapshot: { bytes: fs.statSync(file).size, nodes: snap.nodeCount, edges: snap.edgeCount },
      ms: { leakwatch: oursMs, memlab: memlabMs },
      tolerance: TOLERANCE,
      rule: 'per class: sum of retained sizes of its nodes not dominated by another node of the class',
      rows,
      agree: unexplained.length === 0,
      unexplained,
    }
    fs.mkdirSync(path.dirname(OUT), { recursive: true })
    fs.writeFileSync(OUT, JSON.stringify(result, null, 2) + '\n')
    console.log(`\n${rows.filter((r) => r.withinTolerance).length}/${rows.length} classes within ${TOLERANCE * 100}%; ` +
      `${unexplained.length ? `unexplained: ${unexplained.join(', ')}` : 'every difference explained'} -> ${path.relative(ROOT, OUT)}`)
    if (unexplained.length) process.exitCode = 1
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})

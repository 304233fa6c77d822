'use strict'
// memlab's 3-snapshot leak search (what `memlab find-leaks --baseline --target
// --final --trace-all-objects` runs) on three raw snapshots, in its own process
// (it holds all three heaps in memory). Prints one JSON line: the number of
// leak traces and the first few, each as its retainer trace text.
// Usage: node culprit-memlab.js <baseline> <target> <final> <workDir>
const { requireBenchDep } = require('../scripts/bench-deps')

async function main() {
  const [baseline, target, final, workDir] = process.argv.slice(2)
  const core = requireBenchDep('@memlab/core')
  const { config, analysis, fileManager } = core
  config.useExternalSnapshot = true
  config.externalSnapshotFilePaths = [baseline, target, final]
  // --trace-all-objects: without it memlab reports only detached DOM and React
  // fibers, i.e. nothing in a Node heap.
  config.oversizeObjectAsLeak = true
  config.oversizeThreshold = 0
  if (core.TraceObjectMode) config.traceAllObjectsMode = core.TraceObjectMode.SelectedJSObjects
  config.isContinuousTest = true
  core.info.setConsoleMode && core.info.setConsoleMode(core.ConsoleMode ? core.ConsoleMode.SILENT : 0)
  fileManager.initDirs(config, { workDir })
  const started = process.hrtime.bigint()
  const leaks = await analysis.checkLeak()
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  // Each serialized leak is keyed by its retainer trace lines ("2: --name (type)---> [Class]").
  const traces = (leaks || []).slice(0, 3).map((l) => Object.keys(l).filter((k) => /^\d+:/.test(k)).map((k) => k.replace(/\s+/g, ' ').slice(0, 200)))
  process.stdout.write(`${JSON.stringify({ ms, count: (leaks || []).length, traces })}\n`)
}

main().catch((err) => {
  process.stdout.write(`${JSON.stringify({ error: String(err && err.stack || err).slice(0, 800) })}\n`)
  process.exit(0)
})

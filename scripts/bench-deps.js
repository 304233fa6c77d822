'use strict'
// Comparison tools the benchmarks measure us against (memlab), installed on
// demand into .bench-deps/ rather than as devDependencies: memlab pulls in
// puppeteer, whose install script downloads a browser, which a fresh machine
// without that network access cannot do, and `npm install` should not need.
// Scripts are skipped: memlab's heap parser needs no browser.
const { execFileSync } = require('child_process')
const fs = require('fs')
const path = require('path')

const PREFIX = path.join(__dirname, '..', '.bench-deps')
const PACKAGES = { '@memlab/core': '2.0.5', '@memlab/heap-analysis': '2.0.5' }

function installed(name, version) {
  try {
    return require(path.join(PREFIX, 'node_modules', name, 'package.json')).version === version
  } catch {
    return false
  }
}

function ensureBenchDeps() {
  const missing = Object.entries(PACKAGES).filter(([n, v]) => !installed(n, v))
  if (missing.length === 0) return
  fs.mkdirSync(PREFIX, { recursive: true })
  const specs = missing.map(([n, v]) => `${n}@${v}`)
  console.error(`installing ${specs.join(' ')} into ${PREFIX}`)
  execFileSync('npm', ['install', '--prefix', PREFIX, '--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund', ...specs], {
    stdio: ['ignore', 'inherit', 'inherit'],
  })
}

/** require() a benchmark-only dependency, installing it first if needed. */
function requireBenchDep(name) {
  ensureBenchDeps()
  return require(require.resolve(name, { paths: [PREFIX] }))
}

module.exports = { ensureBenchDeps, requireBenchDep, PREFIX }

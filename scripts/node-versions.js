'use strict'
// The Node binaries the project tests on: this machine's node, and Node 22, 24
// and 26 from scripts/ensure-node-versions.js.
const fs = require('fs')
const { binPath, VERSIONS } = require('./ensure-node-versions')

function nodeBinaries() {
  const out = [{ name: `node${process.versions.node.split('.')[0]}`, bin: process.execPath }]
  for (const name of Object.keys(VERSIONS)) {
    if (out[0].name !== name && fs.existsSync(binPath(name))) out.push({ name, bin: binPath(name) })
  }
  return out
}

module.exports = { nodeBinaries }

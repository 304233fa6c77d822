'use strict'
// Assertions on real Node code, with default options, on the current LTS
// (Node 26 from the matrix): native fetch against a local server must pass
// `.not.toLeak()`; its lazy one-time allocations (undici's dispatcher, first
// calls compiled) must stay in the warm-up. The child is the bench's: one
// corpus case, one fresh process, one JSON line.
const path = require('path')
const { execFile } = require('child_process')
const { nodeBinaries } = require('../scripts/node-versions')

const CHILD = path.join(__dirname, '..', 'bench', 'fixtures', 'assert-child.js')
const node26 = nodeBinaries().find((b) => b.name === 'node26')

function runCase(name, bin) {
  return new Promise((resolve, reject) => {
    execFile(bin, [CHILD, name], { timeout: 120000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message}\n${stderr}`))
      resolve(JSON.parse(stdout.split('\n').find((l) => l.startsWith('{'))))
    })
  })
}

test('Node 26 is installed for this check', () => {
  expect(node26).toBeDefined()
})

test('native fetch to a local server is clean under default options (Node 26)', async () => {
  const r = await runCase('native fetch to a local server', node26.bin)
  expect(r).toMatchObject({ leaking: false, code: null })
  // Rounds sized from warm calls, not from the slow first fetch.
  expect(r.iterations).toBeGreaterThan(10)
})

test('the smallest leak of the corpus is still caught after the longer warm-up (Node 26)', async () => {
  const r = await runCase('module-level array', node26.bin)
  expect(r).toMatchObject({ leaking: true, code: 'ERR_LEAKWATCH_LEAK_DETECTED' })
  expect(r.message).toContain('leakedRequests')
})

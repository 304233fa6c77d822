'use strict'
// One byte formatter (issue 13): the analyzer's, which the HTML page and the
// leak-test messages call instead of formatting sizes by themselves.
const fs = require('fs')
const path = require('path')
const { formatBytes } = require('../lib/native')

test('formats as the text report does', () => {
  expect([0, 512, 1536, -1536, 5 * 1048576].map(formatBytes)).toEqual(['0 B', '512 B', '1.5 KiB', '-1.5 KiB', '5.0 MiB'])
})

test('no JS module formats bytes by itself', () => {
  const lib = path.join(__dirname, '..', 'lib')
  const own = fs.readdirSync(lib).filter((f) => f.endsWith('.js'))
    .filter((f) => /['"`]\s*(KiB|MiB|GiB)\b|\$\{[^}]*\}\s*(KiB|MiB|GiB)/.test(fs.readFileSync(path.join(lib, f), 'utf8')))
  expect(own).toEqual([])
})

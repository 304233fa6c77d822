'use strict'
// Unknown options name the nearest known one, through one helper that every
// option parser uses (issue 13).
const fs = require('fs')
const path = require('path')
const leakwatch = require('..')
const { nearest } = require('../lib/options')

test.each([
  ['directory', 'dir'],
  ['gzipLevl', 'gzipLevel'],
  ['timeout', 'timeoutMs'],
  ['Mode', 'mode'],
  ['maxfile', 'maxFiles'],
  ['timout', 'timeoutMs'],
])('snapshot({ %s }) suggests `%s`', async (key, guess) => {
  await expect(leakwatch.snapshot({ [key]: 1 })).rejects.toMatchObject({
    code: 'ERR_LEAKWATCH_INVALID_OPTION',
    message: `invalid option ${key}: unknown option, did you mean \`${guess}\`?`,
  })
})

test('a key close to nothing lists the known options instead', async () => {
  await expect(leakwatch.snapshot({ zzz: 1 })).rejects.toThrow(/unknown option, expected one of dir, mode, gzipLevel/)
  expect(nearest('zzz', ['dir', 'mode'])).toBeUndefined()
})

test('the router, its query and the growth options use the same helper', async () => {
  expect(() => leakwatch.express({ token: 'x'.repeat(16), snapshots: {} })).toThrow(/did you mean `snapshot`\?/)
  await expect(leakwatch.measureGrowth(() => {}, { round: 5 })).rejects.toThrow(/did you mean `rounds`\?/)
  // A typo in a name with a unit: measured against the name without it too.
  await expect(leakwatch.assertNoLeak(() => {}, { timout: 1000 })).rejects.toThrow(/timout: unknown option, did you mean `timeoutMs`\?/)
  // The router's snapshot options are named as nested ones, as watch()'s are.
  expect(() => leakwatch.express({ token: 'x'.repeat(32), snapshot: { gzipLevl: 1 } })).toThrow(/invalid option snapshot\.gzipLevl: unknown option, did you mean `gzipLevel`\?/)
})

// The twin check: a parser that tests keys by itself drifts from the others.
test('no other module reports unknown options by itself', () => {
  const lib = path.join(__dirname, '..', 'lib')
  const own = fs.readdirSync(lib)
    .filter((f) => f.endsWith('.js') && f !== 'options.js')
    .filter((f) => /['`]unknown (option|query parameter)/.test(fs.readFileSync(path.join(lib, f), 'utf8')))
  expect(own).toEqual([])
})

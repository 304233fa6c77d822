'use strict'

// Jest matcher: `await expect(fn).not.toLeak(opts)`. Requiring this file (or
// listing `leakwatch/jest` in setupFilesAfterEnv) registers it on the global
// `expect`; `matchers` is exported for an explicit `expect.extend(...)`.
const { run, measureGrowth, assertNoLeak } = require('./lib/growth')
const { formatLeak, formatNoLeak } = require('./lib/growth-format')

async function toLeak(received, opts) {
  const isNot = this && this.isNot === true
  const hint = this && this.utils
    ? this.utils.matcherHint('toLeak', 'fn', 'options', { isNot, promise: this.promise })
    : `expect(fn)${isNot ? '.not' : ''}.toLeak(options)`
  if (typeof received !== 'function') {
    throw new TypeError(`${hint}\n\nThe received value must be a function (sync or async), got ${received === null ? 'null' : typeof received}`)
  }
  // Only a failing `.not.toLeak()` needs the culprit, so only it pays for the snapshots.
  const result = await run(received, opts, isNot)
  return {
    pass: result.leaking,
    message: () => result.leaking
      ? `${hint}\n\nExpected the function not to leak, but ${formatLeak(result)}`
      : `${hint}\n\nExpected the function to leak, but found ${formatNoLeak(result)}`,
  }
}

const matchers = { toLeak }

if (typeof globalThis.expect === 'function' && typeof globalThis.expect.extend === 'function') {
  globalThis.expect.extend(matchers)
}

module.exports = { matchers, measureGrowth, assertNoLeak }

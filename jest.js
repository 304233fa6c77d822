'use strict'

// Jest matcher: `await expect(fn).not.toLeak(opts)`. Requiring this file (or
// listing `leakwatch/jest` in setupFilesAfterEnv) registers it on the global
// `expect`; `matchers` is exported for an explicit `expect.extend(...)`.
const { run, measureGrowth, assertNoLeak } = require('./lib/growth')
const { formatLeak, formatNoLeak } = require('./lib/growth-format')

// Jest's default testTimeout. jest.setTimeout() publishes its value under this
// symbol (jest-circus); a timeout given as a test's third argument is not
// visible from here, and the failure message says how to raise the default.
const JEST_DEFAULT_TIMEOUT_MS = 5000
// Left for Jest to print the failure and for the test's own code around the matcher.
const TIMEOUT_MARGIN_MS = 600

function testTimeoutMs() {
  const t = globalThis[Symbol.for('TEST_TIMEOUT_SYMBOL')]
  return typeof t === 'number' && t > 0 ? t : JEST_DEFAULT_TIMEOUT_MS
}

async function toLeak(received, opts) {
  const isNot = this && this.isNot === true
  const hint = this && this.utils
    ? this.utils.matcherHint('toLeak', 'fn', 'options', { isNot, promise: this.promise })
    : `expect(fn)${isNot ? '.not' : ''}.toLeak(options)`
  if (typeof received !== 'function') {
    throw new TypeError(`${hint}\n\nThe received value must be a function (sync or async), got ${received === null ? 'null' : typeof received}`)
  }
  // Only a failing `.not.toLeak()` needs the culprit, so only it pays for the
  // explanation, and within the test's timeout: a failure that times out
  // would hide the leak report it exists to show.
  const result = await run(received, opts, isNot, testTimeoutMs() - TIMEOUT_MARGIN_MS)
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

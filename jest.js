'use strict'

// Jest matcher: `await expect(fn).not.toLeak(opts)`. Requiring this file (or
// listing `leakwatch/jest` in setupFilesAfterEnv) registers it on the global
// `expect`; `matchers` is exported for an explicit `expect.extend(...)`.
const { run, measureGrowth, assertNoLeak } = require('./lib/growth')
const { formatLeak, formatNoLeak } = require('./lib/growth-format')
const { LeakwatchError } = require('./lib/errors')

// Jest's default testTimeout.
const JEST_DEFAULT_TIMEOUT_MS = 5000
// Left for Jest to print the failure and for the test's own code after the matcher.
const TIMEOUT_MARGIN_MS = 600

// jest-circus keeps its state on the test environment's global under a
// private symbol: the running test's own timeout (a test's third argument),
// the file's (testTimeout in the config, or jest.setTimeout()) and when the
// test started.
function circusState() {
  const sym = Object.getOwnPropertySymbols(globalThis).find((s) => s.description === 'JEST_STATE_SYMBOL')
  return sym ? globalThis[sym] : null
}

/** Milliseconds left before Jest fails the running test on its timeout. */
function timeLeftMs() {
  const state = circusState()
  const test = state && state.currentlyRunningTest
  const set = globalThis[Symbol.for('TEST_TIMEOUT_SYMBOL')]
  const timeout = (test && test.timeout) || (state && state.testTimeout) ||
    (typeof set === 'number' && set > 0 ? set : JEST_DEFAULT_TIMEOUT_MS)
  const elapsed = test && typeof test.startedAt === 'number' ? Math.max(0, Date.now() - test.startedAt) : 0
  return timeout - elapsed - TIMEOUT_MARGIN_MS
}

async function toLeak(received, opts) {
  const isNot = this && this.isNot === true
  const hint = this && this.utils
    ? this.utils.matcherHint('toLeak', 'fn', 'options', { isNot, promise: this.promise })
    : `expect(fn)${isNot ? '.not' : ''}.toLeak(options)`
  if (typeof received !== 'function') {
    // Coded as measureGrowth('x') is: the same mistake, the same code.
    throw new LeakwatchError('ERR_LEAKWATCH_INVALID_OPTION', `${hint}\n\nThe received value must be a function (sync or async), got ${received === null ? 'null' : typeof received}`)
  }
  // Only a failing `.not.toLeak()` needs the culprit, so only it pays for the
  // explanation, and within the test's timeout: a failure that times out
  // would hide the leak report it exists to show.
  const result = await run(received, opts, isNot, timeLeftMs())
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

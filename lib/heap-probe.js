'use strict'

// Forced full GCs and post-GC heap readings, without --expose-gc and inside
// Jest's sandbox, where fake timers may have replaced the global setTimeout.
const v8 = require('v8')
const vm = require('vm')
// The core module, not the (possibly faked) globals of a Jest environment.
const timers = require('timers')
const { performance } = require('perf_hooks')

let gcFn = null

function collector() {
  if (gcFn) return gcFn
  if (typeof globalThis.gc === 'function') {
    gcFn = globalThis.gc
  } else {
    // The flag only affects contexts created while it is set, so a fresh
    // context hands out the gc function. It is off again afterwards: this
    // context has no `gc`, so the flag was off, and Jest would otherwise give
    // `gc` to the sandboxes of the test files that follow.
    v8.setFlagsFromString('--expose-gc')
    try {
      gcFn = vm.runInNewContext('gc')
    } finally {
      v8.setFlagsFromString('--no-expose-gc')
    }
  }
  return gcFn
}

function turn(kind) {
  return new Promise((resolve) => {
    if (kind === 'immediate') timers.setImmediate(resolve)
    // Not unref()ed: a 0 ms timer fires at once, and an unref()ed one would let
    // a script whose only work is this measurement exit halfway through.
    else timers.setTimeout(resolve, 0)
  })
}

/**
 * Full GCs separated by event-loop turns: FinalizationRegistry callbacks and
 * WeakRef clearing happen in tasks after a GC, and what they release is only
 * collected by the next one; ArrayBuffer backing stores are swept concurrently
 * and show in `external` only once that finishes.
 */
async function settle(gc = collector()) {
  gc()
  await turn('immediate')
  gc()
  await turn('timeout')
  gc()
}

// Compiled code is left out: V8 compiles and optimizes the code under test
// and the measurement's own code when it gets hot, steps of 5-10 KiB that are
// no leak. Leaked closures of one function share their code, so a real leak
// still shows in the other spaces.
const CODE_SPACES = new Set(['code_space', 'code_large_object_space'])

/** Live bytes after a GC: JS heap without code, plus memory owned by JS objects (Buffers). */
function reading() {
  let heapUsed = 0
  let code = 0
  for (const space of v8.getHeapSpaceStatistics()) {
    if (CODE_SPACES.has(space.space_name)) code += space.space_used_size
    else heapUsed += space.space_used_size
  }
  const external = process.memoryUsage().external
  return { heapUsed, code, external, bytes: heapUsed + external }
}

function isThenable(v) {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof v.then === 'function'
}

/**
 * Calls `fn` `n` times, awaiting it when it returns a promise; checks the
 * deadline between calls (a call that never settles is left to the test
 * runner's timeout: racing each call against a shared timer would itself leak
 * one reaction per call).
 */
async function runCalls(fn, n, deadline) {
  for (let i = 0; i < n; i++) {
    const r = fn()
    if (isThenable(r)) await r
    if ((i & 15) === 15 && deadline !== undefined && performance.now() > deadline) return false
  }
  return deadline === undefined || performance.now() <= deadline
}

const CONSOLE_METHODS = [
  'log', 'info', 'warn', 'error', 'debug', 'trace', 'dir', 'dirxml', 'table', 'group',
  'groupCollapsed', 'groupEnd', 'time', 'timeEnd', 'timeLog', 'count', 'countReset', 'assert',
]

/**
 * Replaces the console methods with sinks for the duration of a measurement:
 * Jest's BufferedConsole keeps every message until the test file ends, which
 * would show as growth of the test runner, not of the code under test. The
 * arguments are still formatted, so their getters and inspect hooks run.
 * Returns the function that restores the original methods.
 */
function quietConsole() {
  const target = globalThis.console
  if (!target) return () => {}
  const util = require('util')
  const saved = []
  for (const name of CONSOLE_METHODS) {
    if (typeof target[name] !== 'function') continue
    saved.push([name, Object.getOwnPropertyDescriptor(target, name)])
    const sink = name === 'log' || name === 'info' || name === 'warn' || name === 'error' || name === 'debug'
      ? (...args) => { util.format(...args) }
      : () => {}
    try {
      Object.defineProperty(target, name, { value: sink, writable: true, configurable: true, enumerable: false })
    } catch {
      saved.pop()
    }
  }
  return () => {
    for (const [name, desc] of saved) {
      if (desc) Object.defineProperty(target, name, desc)
      else delete target[name]
    }
  }
}

module.exports = { settle, reading, runCalls, isThenable, quietConsole, collector }

'use strict'

// What the watchdog reads from V8 and the OS, in the shapes the native
// detector takes (src/js/watch.rs: HeapNow).

const os = require('os')
const v8 = require('v8')

const UNLIMITED = 2 ** 60

/** What RSS runs into: `process.constrainedMemory()` where Node has it and
 * it is a real limit, else the machine's memory. */
function rssLimit() {
  const c = typeof process.constrainedMemory === 'function' ? process.constrainedMemory() : 0
  const total = os.totalmem()
  return c > 0 && c < UNLIMITED && c < total ? c : total
}

/** V8's figures now, in the shape the native evaluate() and gcDue() take. */
function heapNow(hs = v8.getHeapStatistics()) {
  return {
    // The old generation: the young one only holds short-lived garbage, and
    // the last post-GC reading left it out too.
    heapUsedBytes: oldGenerationUsed(),
    heapTotalBytes: hs.total_heap_size,
    heapLimitBytes: hs.heap_size_limit,
    externalBytes: hs.external_memory,
    rssLimitBytes: rssLimit(),
  }
}

/** Live heap right after a major GC: everything but the young generation,
 * which is empty then and only refills with short-lived garbage. */
function oldGenerationUsed() {
  let used = 0
  for (const s of v8.getHeapSpaceStatistics()) {
    if (!s.space_name.startsWith('new_')) used += s.space_used_size
  }
  return used
}

module.exports = { heapNow, oldGenerationUsed, rssLimit }

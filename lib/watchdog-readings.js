'use strict'

// What the watchdog reads from V8 and the OS, in the shapes the native
// detector takes (src/js/watch.rs: HeapNow).

const os = require('os')
const v8 = require('v8')

const UNLIMITED = 2 ** 60
// V8's heap_size_limit also counts the young generation's reservation (3 x
// 16 MiB semi-spaces at V8's 64-bit defaults: --max-old-space-size=256 gives
// 304 MiB), which old-space growth cannot use: a leak dies at the old
// generation's limit.
const YOUNG_RESERVE_BYTES = 48 * 1024 * 1024

/** The limit the old generation (where leaks live) runs into, in bytes, from
 * V8's `heap_size_limit`. The one place this rule lives: time to OOM
 * (src/watch/oom.rs) and the evidence policy both use it. */
function oldGenerationLimit(heapSizeLimit) {
  return heapSizeLimit - Math.min(YOUNG_RESERVE_BYTES, heapSizeLimit / 2)
}

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
    heapLimitBytes: oldGenerationLimit(hs.heap_size_limit),
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

module.exports = { heapNow, oldGenerationUsed, oldGenerationLimit, rssLimit }

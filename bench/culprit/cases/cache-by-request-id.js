'use strict'
// Responses cached under the request id: every key is new, nothing is evicted.
const responseCache = {}

function cacheResponse(i) {
  responseCache[`req-${i}-${process.hrtime.bigint()}`] = { status: 200, body: { id: i, items: ['a', 'b'] } }
}

module.exports = {
  expect: { holder: 'responseCache', kind: 'unbounded-collection', allocator: 'cacheResponse' },
  step(i) { cacheResponse(i) },
}

'use strict'
// A module-level array that every request appends to and nothing trims.
const requestLog = []

function recordRequest(i) {
  requestLog.push({ userAgent: `client/${i % 7}.0`, path: `/api/items/${i}`, at: Date.now() })
}

module.exports = {
  expect: { holder: 'requestLog', kind: 'unbounded-collection', allocator: 'recordRequest' },
  step(i) { recordRequest(i) },
}

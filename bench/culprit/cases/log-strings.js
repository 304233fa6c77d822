'use strict'
// Access-log lines kept in memory "for the debug page".
const accessLog = []

function logRequest(i) {
  accessLog.push(`${new Date().toISOString()} GET /api/items/${i}?q=${Math.random().toString(36)} 200 ${(i % 97) + 3}ms`)
}

module.exports = {
  expect: { holder: 'accessLog', kind: 'unbounded-collection', allocator: 'logRequest' },
  step(i) { logRequest(i) },
}

'use strict'
// AsyncLocalStorage stores that outlive their request: a timer created inside
// als.run() keeps the store (request data) alive for as long as it is pending.
const { AsyncLocalStorage } = require('async_hooks')
const als = new AsyncLocalStorage()

function noop() {}

function runWithContext(i) {
  als.run({ requestId: i, user: { id: i, roles: ['reader'] }, payload: `payload-${i}`.repeat(4) }, () => {
    setTimeout(noop, 3600 * 1000)
  })
}

module.exports = {
  expect: { holder: 'noop', kind: 'async-context', allocator: 'runWithContext' },
  step(i) { runWithContext(i) },
}

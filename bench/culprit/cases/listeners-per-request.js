'use strict'
// A listener added to a long-lived emitter per request, never removed.
const EventEmitter = require('events')
const config = new EventEmitter()
config.setMaxListeners(0)

function handleRequest(i) {
  const req = { id: i, headers: { accept: 'application/json', 'x-trace': `t${i}` } }
  config.on('configReload', function onConfigReload() {
    req.stale = true
  })
}

module.exports = {
  expect: { holder: 'configReload', kind: 'event-listeners', allocator: 'handleRequest' },
  step(i) { handleRequest(i) },
}

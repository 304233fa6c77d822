'use strict'
// Clean: per-request listeners removed and timers cleared when the request ends.
const EventEmitter = require('events')
const bus = new EventEmitter()

function handle(i) {
  const req = { id: i }
  const onReload = () => { req.stale = true }
  bus.on('reload', onReload)
  const t = setTimeout(() => {}, 3600 * 1000)
  clearTimeout(t)
  bus.off('reload', onReload)
}

module.exports = {
  expect: { clean: true },
  step(i) { handle(i) },
}

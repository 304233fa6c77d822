'use strict'
// An interval started per request that closes over the request and is never cleared.
function startPolling(i) {
  const req = { id: i, body: { items: [i, i + 1, i + 2] }, headers: { host: '127.0.0.1' } }
  setInterval(function poll() {
    req.polls = (req.polls || 0) + 1
  }, 3600 * 1000)
}

module.exports = {
  expect: { holder: 'poll', kind: 'timers', allocator: 'startPolling' },
  step(i) { startPolling(i) },
}

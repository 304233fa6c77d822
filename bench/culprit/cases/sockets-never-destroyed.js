'use strict'
// Client sockets opened per job and never ended or destroyed.
const net = require('net')

let server
let port

function openConnection(i) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, resolve)
    socket.jobId = i
    socket.on('error', () => {})
  })
}

module.exports = {
  expect: { holder: 'Socket', kind: 'unclosed-resources', allocator: 'openConnection' },
  async setup() {
    server = net.createServer(() => {})
    server.listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    port = server.address().port
  },
  perRound: 60,
  // Two file descriptors per step (client and accepted socket): paced like a
  // service's traffic, not as fast as the loop can connect (EMFILE in < 1 s).
  perSecond: 200,
  async step(i) { await openConnection(i) },
  hardExit: true,
}

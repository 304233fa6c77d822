'use strict'
// Express middleware that registers an "after response" hook per request in a
// module-level list; each hook closes over the request.
const http = require('http')
const express = require('express')

const afterResponseHooks = []

function auditMiddleware(req, res, next) {
  afterResponseHooks.push(function audit() {
    return `${req.method} ${req.url} ${req.headers['user-agent']}`
  })
  next()
}

let server
let port
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 })

function get(path) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume()
      res.on('end', resolve)
    }).on('error', reject)
  })
}

module.exports = {
  expect: { holder: 'afterResponseHooks', kind: 'closures', allocator: 'auditMiddleware' },
  async setup() {
    const app = express()
    app.use(auditMiddleware)
    app.get('/api/:id', (req, res) => res.json({ id: req.params.id }))
    server = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    port = server.address().port
  },
  perRound: 150,
  async step(i) { await get(`/api/${i}`) },
  async teardown() {
    agent.destroy()
    await new Promise((resolve) => server.close(resolve))
  },
}

'use strict'
// A small Express service with the classic leaks, wired to leakwatch the way
// a production service would be: snapshots on SIGUSR2, an authenticated
// debug router, and a watchdog that takes snapshots when the heap grows.
//
//   node examples/leaky-express/server.js      (PORT, LEAKWATCH_TOKEN, LEAKWATCH_DIR)
//
// Set DEMO_FAST=1 for the compressed timings `npm run demo` uses.
const { EventEmitter } = require('events')
const express = require('express')
const leakwatch = require('../..')

const app = express()

// Leak 1: every request's headers pushed onto a module-level array.
const requestLog = []
app.get('/api/profile', (req, res) => {
  requestLog.push({ userAgentUsed: req.headers['user-agent'], acceptUsed: req.headers.accept, at: Date.now(), path: req.path })
  res.json({ user: 'demo', items: requestLog.length })
})

// Leak 2: 10,000 references kept per call.
const reportCache = []
app.get('/api/report', (req, res) => {
  const rows = []
  for (let i = 0; i < 10000; i++) rows.push({ row: i })
  reportCache.push(rows)
  res.json({ rows: rows.length })
})

// Leak 3: a listener added per request to a long-lived emitter, capturing a large object.
const bus = new EventEmitter()
bus.setMaxListeners(0)
app.get('/api/subscribe', (req, res) => {
  const context = { requestId: Math.random(), scratch: new Array(1000).fill('x') }
  bus.on('config-changed', () => context.requestId)
  res.json({ listeners: bus.listenerCount('config-changed') })
})

// Clean: allocates plenty, keeps nothing.
app.get('/api/clean', (req, res) => {
  const items = []
  for (let i = 0; i < 200; i++) items.push({ id: i, name: `item-${i}` })
  res.json({ count: items.length })
})

const fast = process.env.DEMO_FAST === '1'
const out = (event, data) => process.stdout.write(JSON.stringify({ event, ...data }) + '\n')

leakwatch.onSignal('SIGUSR2')
leakwatch.events.on('snapshot', (info) => out('snapshot', { path: info.path, mode: info.mode }))
leakwatch.events.on('error', (err) => out('error', { code: err.code, message: err.message }))
if (process.env.LEAKWATCH_TOKEN) app.use('/debug/leakwatch', leakwatch.express({ token: process.env.LEAKWATCH_TOKEN }))

const watchdog = leakwatch.watch(fast
  ? { intervalMs: 500, windowMs: 12000, warmupMs: 3000, minGrowthBytesPerMin: 256 * 1024, snapshots: 3 }
  : { snapshots: 3 })
watchdog.on('leak', (leak) => out('leak', leak))
watchdog.on('snapshot', (info) => out('watchdog-snapshot', { path: info.path, label: info.label }))

const server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', () => {
  out('listening', { port: server.address().port, pid: process.pid })
})
process.on('SIGTERM', () => {
  watchdog.stop()
  server.close(() => process.exit(0))
})

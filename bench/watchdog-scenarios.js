'use strict'

// The watchdog corpus: each scenario is a small "service" that handles
// requests on a timer. Every scenario shares the same background (requests
// that stay in flight for about a second, as in a real server, which promotes
// objects and keeps major GCs coming) and adds one leak or one harmless
// memory pattern on top. Rates are per second of compressed time.

const { EventEmitter } = require('events')

const TICK_MS = 50

function background(state) {
  state.inflight = state.inflight || new Map()
  state.id = state.id || 0
  const reqs = []
  for (let i = 0; i < state.reqPerTick; i++) {
    const id = ++state.id
    const req = {
      id,
      url: `/api/items/${id}?q=${id % 97}`,
      headers: { 'user-agent': 'loadtest/5.2.0', accept: '*/*', 'x-request-id': 'r' + id },
      body: 'x'.repeat(120) + id,
      parts: [id, id + 1, 'p' + (id % 13)],
      // The parsed payload: ~8 KB that lives as long as the request.
      payload: new Array(1000).fill(id),
    }
    state.inflight.set(id, req)
    reqs.push(req)
  }
  // Requests finish about a second later.
  const done = state.id - state.reqPerTick * Math.round(1000 / TICK_MS)
  for (const k of state.inflight.keys()) {
    if (k > done) break
    state.inflight.delete(k)
  }
  return reqs
}

function summary(req) {
  return { id: req.id, path: req.url.slice(0, 24), at: Date.now(), ua: req.headers['user-agent'] + req.id }
}

// Bytes per summary object is ~200; n per tick sets the leak rate.
const leaks = {
  'global-array': (s, reqs) => {
    s.log = s.log || []
    for (let i = 0; i < 180; i++) s.log.push(summary(reqs[i % reqs.length]))
  },
  listeners: (s, reqs) => {
    s.bus = s.bus || new EventEmitter().setMaxListeners(0)
    for (let i = 0; i < 120; i++) {
      const ctx = summary(reqs[i % reqs.length])
      s.bus.on('config-changed', () => ctx.id)
    }
  },
  'interval-closure': (s, reqs) => {
    // A per-connection poller that is never cleared (its period is long, so
    // it costs nothing while it holds on to the connection's state).
    for (let i = 0; i < 30; i++) {
      const conn = { ...summary(reqs[i % reqs.length]), buf: 'c'.repeat(200) }
      setInterval(() => conn.id, 3600 * 1000).unref()
    }
  },
  'map-cache': (s, reqs) => {
    s.cache = s.cache || new Map()
    for (let i = 0; i < 120; i++) s.cache.set(`k${reqs[i % reqs.length].id}-${i}`, summary(reqs[i % reqs.length]))
  },
  'promise-chains': (s, reqs) => {
    // Awaiting something that never settles keeps every reaction alive.
    s.never = s.never || new Promise(() => {})
    for (let i = 0; i < 50; i++) {
      const ctx = summary(reqs[i % reqs.length])
      s.never.then(() => ctx).catch(() => ctx)
    }
  },
  'slow-leak': (s, reqs) => {
    s.log = s.log || []
    // ~1.6 x the corpus' minGrowthBytesPerMin: the low end worth reporting.
    for (let i = 0; i < (s.slowPerTick || 60); i++) s.log.push(summary(reqs[i % reqs.length]))
  },
  // The fast leak, compressed: 200 request records per tick.
  fast: (s, reqs) => {
    s.log = s.log || []
    for (let i = 0; i < 200; i++) s.log.push(summary(reqs[i % reqs.length]))
  },
  // Buffers kept in an array (16 KiB per tick): external memory, little heap.
  buffers: (s) => {
    s.bufs = s.bufs || []
    s.bufs.push(Buffer.alloc(16 * 1024, s.bufs.length & 0xff))
  },
  'sawtooth-leak': (s, reqs, t) => {
    s.slowPerTick = 100
    leaks['slow-leak'](s, reqs)
    sawtoothBatch(s, t)
  },
}

function sawtoothBatch(s, t, periodMs = 6000, items = 150_000) {
  // A batch job builds a working set (by default 150k items, ~11 MB, every
  // 6 s) and holds it for half the period.
  const phase = t % periodMs
  if (phase < periodMs / 2) {
    s.batch = s.batch || []
    if (s.batch.length < items) for (let i = 0; i < 9000; i++) s.batch.push({ i, v: 'b' + i })
  } else {
    s.batch = null
  }
}

const clean = {
  'lru-bounded': (s, reqs) => {
    s.lru = s.lru || new Map()
    for (let i = 0; i < 20; i++) {
      const req = reqs[i % reqs.length]
      const k = `k${req.id}-${i}`
      s.lru.set(k, { ...summary(req), body: new Array(100).fill(i) })
      // Full after ~10 s: a cap that takes minutes to reach at a steady
      // insert rate is linear growth for minutes, which is what a leak is.
      if (s.lru.size > 4_000) s.lru.delete(s.lru.keys().next().value)
    }
  },
  'big-garbage': (s, reqs) => {
    // Report generation: large temporary structures, gone by the next tick.
    const rows = []
    for (let i = 0; i < 40_000; i++) rows.push({ i, name: 'row-' + i, tags: [i, reqs[0].id] })
    s.sink = JSON.stringify(rows.slice(0, 10)).length + rows.length
  },
  'warmup-plateau': (s, reqs) => {
    // A cache over a bounded key space (20k users, ~1 KB each): random
    // requests fill it with a 10 s time constant, still growing well past
    // warmupMs, then it only hits.
    s.cache = s.cache || new Map()
    for (let i = 0; i < 100; i++) {
      const k = 'user-' + Math.floor(Math.random() * 20_000)
      if (!s.cache.has(k)) s.cache.set(k, { k, roles: ['a', 'b'], profile: new Array(120).fill(i) })
    }
  },
  sawtooth: (s, reqs, t) => sawtoothBatch(s, t),
  // A slower, bigger cycle (a third of the window): ~18 MB held for 5 s,
  // then dropped for 5 s; GCs land at other points of this cycle.
  'sawtooth-10s': (s, reqs, t) => sawtoothBatch(s, t, 10_000, 250_000),
  bursty: (s, reqs, t) => {
    // Traffic comes in bursts: 2 s at 6x, 4 s quiet.
    const burst = t % 6000 < 2000
    s.reqPerTick = burst ? s.baseReq * 6 : Math.max(1, Math.floor(s.baseReq / 4))
  },
  idle: () => {},
  // Large Buffers (1 MiB per tick) alive for about 2 s, then freed.
  'buffers-freed': (s) => {
    s.bufs = s.bufs || []
    s.bufs.push(Buffer.alloc(1024 * 1024, 1))
    if (s.bufs.length > 2000 / TICK_MS) s.bufs.shift()
  },
  // 512 KiB Buffers kept 8 to 16 ticks (0.4-0.8 s), dropped half at a
  // time: external saws between ~4 and ~8 MiB, a period GCs alias with
  // (__test__/watch-urgent.test.js's clean Buffers, which once raised a
  // false 'external' leak under CPU load).
  'buffers-churn': (s) => {
    s.bufs = s.bufs || []
    s.bufs.push(Buffer.alloc(512 * 1024, 2))
    if (s.bufs.length > 16) s.bufs.splice(0, 8)
  },
  // Many small Buffers (64 KiB, 8 per tick) alive 0.5 s: a shorter lifetime.
  'buffers-short': (s) => {
    s.bufs = s.bufs || []
    for (let i = 0; i < 8; i++) s.bufs.push(Buffer.alloc(64 * 1024, 3))
    while (s.bufs.length > 80) s.bufs.shift()
  },
  // 4 MiB Buffers alive 5 s, a few at a time: few, big, long-lived.
  'buffers-long': (s, reqs, t) => {
    s.bufs = s.bufs || []
    if (Math.floor(t / 250) !== s.last) {
      s.last = Math.floor(t / 250)
      s.bufs.push(Buffer.alloc(4 * 1024 * 1024, 4))
      if (s.bufs.length > 20) s.bufs.shift()
    }
  },
}

// Scenarios judged on external memory rather than the heap.
const EXTERNAL = new Set(['buffers', 'buffers-freed', 'buffers-churn', 'buffers-short', 'buffers-long'])

module.exports = { leaks, clean, background, TICK_MS, EXTERNAL }

'use strict'
// leakwatch.express() mounted in a real Express app in its own process.
const fs = require('fs')
const path = require('path')
const zlib = require('zlib')
const leakwatch = require('..')
const { Host, tempDir, listDir } = require('./helpers')
const { parsePrometheusText } = require('./prometheus-text')

const TOKEN = 'test-token-0123456789abcdef'

describe('Prometheus text parser', () => {
  test('accepts valid text and rejects malformed lines', () => {
    const ok = '# HELP a_total x\n# TYPE a_total counter\na_total{k="v\\"q"} 3\n# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum 2\nh_count 1\n'
    const { families } = parsePrometheusText(ok)
    expect(families.a_total.samples[0]).toEqual({ name: 'a_total', labels: { k: 'v"q' }, value: 3 })
    expect(families.h.samples).toHaveLength(3)
    for (const bad of ['a 1\n', '# TYPE a gauge\na{k=v} 1\n', '# TYPE a gauge\na one\n', '# TYPE 9a gauge\n', '# TYPE a gauge\na 1']) {
      expect(() => parsePrometheusText(bad)).toThrow()
    }
  })
})

describe('express router', () => {
  let server
  let base
  let dir
  beforeAll(async () => {
    dir = tempDir('router')
    server = new Host(path.join(__dirname, 'fixtures', 'express-app.js'), { LEAKWATCH_DIR: dir, LW_TOKEN: TOKEN })
    const { port } = await server.waitFor((e) => e.event === 'listening')
    base = `http://127.0.0.1:${port}`
  })
  afterAll(async () => {
    server.proc.stdin.write('stop\n')
    await server.exited
  })

  const auth = { Authorization: `Bearer ${TOKEN}` }

  test('requests without or with a wrong token get 401 and take no snapshot', async () => {
    for (const headers of [{}, { Authorization: 'Bearer wrong-token-0123456789' }, { Authorization: TOKEN }, { Authorization: `Basic ${TOKEN}` }]) {
      for (const [method, route] of [['GET', '/status'], ['POST', '/snapshot'], ['POST', '/snapshot?download=1'], ['GET', '/metrics']]) {
        const res = await fetch(`${base}/leakwatch${route}`, { method, headers })
        expect(res.status).toBe(401)
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/)
        expect((await res.json()).error.code).toBe('ERR_LEAKWATCH_UNAUTHORIZED')
      }
    }
    expect(listDir(dir)).toEqual([])
  })

  test('POST /snapshot?download=1 streams a valid gzip snapshot and keeps the file', async () => {
    const res = await fetch(`${base}/leakwatch/snapshot?download=1&label=dl`, { method: 'POST', headers: auth })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/gzip')
    const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition'))[1]
    expect(name).toMatch(/-dl\.heapsnapshot\.gz$/)
    const body = Buffer.from(await res.arrayBuffer())
    expect(Number(res.headers.get('content-length'))).toBe(body.length)
    const snap = JSON.parse(zlib.gunzipSync(body))
    expect(snap.nodes.length).toBe(snap.snapshot.node_count * snap.snapshot.meta.node_fields.length)
    // Buffer.equals: Jest's deep toEqual takes seconds on megabytes and stalls the client.
    expect(fs.readFileSync(path.join(dir, name)).equals(body)).toBe(true)
  })

  test('POST /snapshot returns the SnapshotInfo; GET /status lists it', async () => {
    const res = await fetch(`${base}/leakwatch/snapshot`, { method: 'POST', headers: auth })
    expect(res.status).toBe(201)
    const info = await res.json()
    expect(info).toMatchObject({ mode: 'fork', path: expect.stringContaining(dir) })
    const status = await (await fetch(`${base}/leakwatch/status`, { headers: auth })).json()
    expect(status.pid).toBe(server.pid)
    expect(status.snapshots[0]).toMatchObject({ result: 'success', path: info.path })
  })

  test('one snapshot at a time: a concurrent request gets 429', async () => {
    const results = await Promise.all([0, 1, 2].map(() => fetch(`${base}/leakwatch/snapshot`, { method: 'POST', headers: auth })))
    const codes = results.map((r) => r.status).sort()
    expect(codes.filter((c) => c === 201)).toHaveLength(1)
    expect(codes.filter((c) => c === 429)).toHaveLength(2)
    const busy = results.find((r) => r.status === 429)
    expect(busy.headers.get('retry-after')).toBe('5')
    expect((await busy.json()).error.code).toBe('ERR_LEAKWATCH_BUSY')
  })

  test('bad requests get 4xx JSON errors', async () => {
    const bad = await fetch(`${base}/leakwatch/snapshot?download=maybe`, { method: 'POST', headers: auth })
    expect(bad.status).toBe(400)
    expect((await bad.json()).error.code).toBe('ERR_LEAKWATCH_INVALID_OPTION')
    const unknown = await fetch(`${base}/leakwatch/snapshot?format=raw`, { method: 'POST', headers: auth })
    expect(unknown.status).toBe(400)
    const label = await fetch(`${base}/leakwatch/snapshot?label=${'x'.repeat(80)}`, { method: 'POST', headers: auth })
    expect(label.status).toBe(400)
    const method = await fetch(`${base}/leakwatch/snapshot`, { headers: auth })
    expect(method.status).toBe(405)
    expect(method.headers.get('allow')).toBe('POST')
    // Not ours: falls through to Express's own 404.
    expect((await fetch(`${base}/leakwatch/nope`, { headers: auth })).status).toBe(404)
  })

  test('GET /metrics parses as Prometheus text and its values move as the heap grows', async () => {
    const scrape = async () => {
      const res = await fetch(`${base}/leakwatch/metrics`, { headers: auth })
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
      return parsePrometheusText(await res.text()).families
    }
    const before = await scrape()
    expect(before.leakwatch_snapshots_total.type).toBe('counter')
    expect(before.leakwatch_snapshot_duration_seconds.type).toBe('histogram')
    const ok = before.leakwatch_snapshots_total.samples.find((s) => s.labels.result === 'success' && s.labels.mode === 'fork')
    expect(ok.value).toBeGreaterThanOrEqual(2)
    const used0 = before.leakwatch_heap_used_bytes.samples[0].value
    for (let i = 0; i < 3; i++) await fetch(`${base}/grow`, { method: 'POST' })
    const after = await scrape()
    expect(after.leakwatch_heap_used_bytes.samples[0].value).toBeGreaterThan(used0 + 10e6)
  })
})

describe('router configuration', () => {
  test('refuses to mount without a token, or with a short one', () => {
    for (const opts of [undefined, {}, { token: '' }, { token: 'short' }, { token: TOKEN, extra: 1 }]) {
      expect(() => leakwatch.express(opts)).toThrow(expect.objectContaining({ code: 'ERR_LEAKWATCH_INVALID_OPTION' }))
    }
  })
})

describe('snapshot sinks', () => {
  test('a sink receives each snapshot; a failing sink is reported and the file stays', async () => {
    const dir = tempDir('sinks')
    const seen = []
    const errors = []
    const onError = (e) => errors.push(e)
    leakwatch.events.on('error', onError)
    const offGood = leakwatch.onSnapshot(async (info) => {
      await new Promise((r) => setTimeout(r, 50))
      seen.push(info.path)
    })
    const offBad = leakwatch.onSnapshot(async () => { throw new Error('S3 said no') })
    try {
      const info = await leakwatch.snapshot({ dir, mode: 'inline' })
      await leakwatch.flushSinks()
      expect(seen).toEqual([info.path])
      expect(errors).toHaveLength(1)
      expect(errors[0]).toMatchObject({ code: 'ERR_LEAKWATCH_SINK_FAILED', path: info.path })
      expect(errors[0].message).toMatch(/S3 said no/)
      expect(fs.existsSync(info.path)).toBe(true)
    } finally {
      offGood()
      offBad()
      leakwatch.events.off('error', onError)
    }
    expect(() => leakwatch.onSnapshot('nope')).toThrow(expect.objectContaining({ code: 'ERR_LEAKWATCH_INVALID_OPTION' }))
  })
})

'use strict'
// Real processes, real signals: fork-mode snapshots on SIGUSR2, coexistence
// with the user's own listeners, bursts of signals, and a fork stress run.
const path = require('path')
const { Host, tempDir, readSnapshot, listDir, zombiesOf, SNAPSHOT_NAME } = require('./helpers')

const HOST = path.join(__dirname, 'fixtures', 'capture-host.js')
const isSnapshot = (e) => e.event === 'snapshot'
const isError = (e) => e.event === 'error'

function host(env) {
  return new Host(HOST, { ALLOCATE: '1', ...env })
}

test('each SIGUSR2 writes a valid fork-mode snapshot while the process keeps allocating', async () => {
  const dir = tempDir('sig')
  const h = host({ LW_OPTS: JSON.stringify({ dir }) })
  try {
    await h.waitFor((e) => e.event === 'ready')
    for (let i = 1; i <= 3; i++) {
      const from = h.events.length
      h.signal()
      const { info } = await h.waitFor(isSnapshot, 60000, from)
      expect(info.mode).toBe('fork')
      expect(info.signal).toBe('SIGUSR2')
      expect(path.basename(info.path)).toMatch(SNAPSHOT_NAME)
      expect(readSnapshot(info.path).snapshot.node_count).toBeGreaterThan(20000)
    }
    expect(listDir(dir)).toHaveLength(3)
    expect(zombiesOf(h.pid)).toEqual([])
    expect(h.events.filter(isError)).toEqual([])
  } finally {
    await h.stop()
  }
})

test("coexists with the user's own listener, and close() removes only ours", async () => {
  const dir = tempDir('coexist')
  const h = host({ LW_OPTS: JSON.stringify({ dir }), USER_LISTENER: '1' })
  try {
    await h.waitFor((e) => e.event === 'ready')
    h.signal()
    await h.waitFor(isSnapshot)
    await h.waitFor((e) => e.event === 'user-listener')
    h.send({ op: 'close' })
    expect((await h.waitFor((e) => e.event === 'closed')).listeners).toBe(1)
    const from = h.events.length
    h.signal()
    await h.waitFor((e) => e.event === 'user-listener', 10000, from)
    await new Promise((r) => setTimeout(r, 300))
    expect(h.events.slice(from).filter(isSnapshot)).toEqual([])
    expect(listDir(dir)).toHaveLength(1)
  } finally {
    await h.stop()
  }
})

test('close() without user listeners restores the default disposition of the signal', async () => {
  const h = host({ LW_OPTS: JSON.stringify({ dir: tempDir('restore') }) })
  await h.waitFor((e) => e.event === 'ready')
  h.send({ op: 'close' })
  expect((await h.waitFor((e) => e.event === 'closed')).listeners).toBe(0)
  h.signal()
  expect(await h.exited).toEqual({ code: null, signal: 'SIGUSR2' })
})

test('50 signals in one second are coalesced: no error, no partial file, next snapshot works', async () => {
  const dir = tempDir('burst')
  const h = host({ LW_OPTS: JSON.stringify({ dir }), HEAP_OBJECTS: '100000' })
  try {
    await h.waitFor((e) => e.event === 'ready')
    for (let i = 0; i < 50; i++) {
      h.signal()
      await new Promise((r) => setTimeout(r, 20))
    }
    // Wait until the follow-up snapshots have landed and nothing is in flight.
    await h.waitFor((e) => isSnapshot(e) && e.info.coalesced > 0, 60000)
    for (let seen = -1, i = 0; i < 60 && (seen !== h.events.length || listDir(dir).some((f) => f.endsWith('.tmp'))); i++) {
      seen = h.events.length
      await new Promise((r) => setTimeout(r, 700))
    }
    const snaps = h.events.filter(isSnapshot)
    expect(h.events.filter(isError)).toEqual([])
    expect(snaps.length).toBeLessThan(50)
    // A follow-up snapshot answers the `coalesced` signals that arrived while busy.
    const answered = snaps.reduce((n, e) => n + (e.info.coalesced || 1), 0)
    expect(answered).toBeGreaterThan(10)
    expect(answered).toBeLessThanOrEqual(50)
    expect(listDir(dir)).toEqual(snaps.map((e) => path.basename(e.info.path)).sort())
    for (const e of snaps) readSnapshot(e.info.path)
    h.send({ op: 'snapshot', opts: { dir } })
    expect((await h.waitFor((e) => e.event === 'snapshot-result')).info.mode).toBe('fork')
    expect(zombiesOf(h.pid)).toEqual([])
  } finally {
    await h.stop()
  }
})

test('stress: consecutive fork snapshots under allocation load are all delivered', async () => {
  const dir = tempDir('stress')
  const h = host({ LW_OPTS: JSON.stringify({ dir, maxFiles: 3 }) })
  const N = Number(process.env.LEAKWATCH_STRESS_N || 15)
  try {
    await h.waitFor((e) => e.event === 'ready')
    for (let i = 0; i < N; i++) {
      const from = h.events.length
      h.send({ op: 'snapshot', opts: { dir, mode: 'fork', maxFiles: 3 } })
      const r = await h.waitFor((e) => e.event === 'snapshot-result' || e.event === 'snapshot-error', 60000, from)
      expect(r).toMatchObject({ event: 'snapshot-result', info: { mode: 'fork' } })
      readSnapshot(r.info.path)
    }
    expect(listDir(dir)).toHaveLength(3)
    expect(zombiesOf(h.pid)).toEqual([])
  } finally {
    await h.stop()
  }
})

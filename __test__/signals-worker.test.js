'use strict'
// Worker threads and real signals: onSignal() in a Worker is refused at once
// (Node delivers signals to the main thread only, so a Worker's listener would
// never run and SIGUSR2 would terminate the process); the main thread's
// onSignal() and the forwarding recipe keep the process alive.
const path = require('path')
const { Host, tempDir, readSnapshot, listDir, zombiesOf } = require('./helpers')

const HOST = path.join(__dirname, 'fixtures', 'worker-host.js')

async function start(main, dir) {
  const h = new Host(HOST, { MAIN: main, LW_DIR: dir })
  await h.waitFor((e) => e.event === 'ready')
  const w = await h.waitFor((e) => e.event === 'worker-ready' || e.event === 'worker-error')
  return { h, w }
}

test('onSignal in a Worker throws ERR_LEAKWATCH_NOT_MAIN_THREAD and installs nothing; forwarded signals snapshot the Worker', async () => {
  const dir = tempDir('worker-sig')
  const { h, w } = await start('forward', dir)
  try {
    expect(w.refused.code).toBe('ERR_LEAKWATCH_NOT_MAIN_THREAD')
    expect(w.refused.message).toMatch(/main thread/)
    expect(w.listeners).toBe(0)
    for (let i = 0; i < 2; i++) {
      const from = h.events.length
      h.signal('SIGUSR2')
      const r = await h.waitFor((e) => e.event === 'worker-snapshot' || e.event === 'worker-snapshot-error', 60000, from)
      expect(r).toMatchObject({ event: 'worker-snapshot', info: { mode: 'inline' } })
      const snap = readSnapshot(r.info.path)
      expect(snap.strings).toContain('WorkerSession')
    }
    expect(h.proc.exitCode).toBeNull()
    expect(h.proc.signalCode).toBeNull()
    expect(listDir(dir)).toHaveLength(2)
  } finally {
    await h.stop()
  }
  expect((await h.exited).code).toBe(0)
})

test('with a Worker running, the main thread onSignal takes fork snapshots and the process survives', async () => {
  const dir = tempDir('worker-main')
  const { h, w } = await start('onsignal', dir)
  try {
    expect(w.refused.code).toBe('ERR_LEAKWATCH_NOT_MAIN_THREAD')
    for (let i = 0; i < 2; i++) {
      const from = h.events.length
      h.signal('SIGUSR2')
      const r = await h.waitFor((e) => e.event === 'snapshot' || e.event === 'error', 60000, from)
      expect(r).toMatchObject({ event: 'snapshot', info: { mode: 'fork', signal: 'SIGUSR2' } })
      expect(readSnapshot(r.info.path).snapshot.node_count).toBeGreaterThan(1000)
    }
    expect(zombiesOf(h.pid)).toEqual([])
    expect(h.proc.exitCode).toBeNull()
  } finally {
    await h.stop()
  }
  expect((await h.exited).code).toBe(0)
})

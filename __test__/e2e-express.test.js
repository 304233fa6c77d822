'use strict'
// A real Express server under bounded autocannon load on 127.0.0.1 gets
// `kill -USR2` three times: three valid snapshots, zero failed requests, no
// zombie children, no leaked descriptors.
const path = require('path')
const autocannon = require('autocannon')
const { Host, tempDir, readSnapshot, listDir, zombiesOf, childrenOf, pipeAndFileFds } = require('./helpers')

test('three SIGUSR2 snapshots of an Express service under load', async () => {
  const dir = tempDir('e2e')
  const server = new Host(path.join(__dirname, 'fixtures', 'express-app.js'), { LEAKWATCH_DIR: dir })
  try {
    const { port } = await server.waitFor((e) => e.event === 'listening')
    const fdsBefore = pipeAndFileFds(server.pid)
    const load = autocannon({
      url: `http://127.0.0.1:${port}/api/items/7`,
      connections: 8,
      duration: 12,
      timeout: 10,
    })
    const infos = []
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 1000))
      const from = server.events.length
      server.signal('SIGUSR2')
      const ev = await server.waitFor((e) => e.event === 'snapshot' || e.event === 'error', 60000, from)
      expect(ev.event).toBe('snapshot')
      infos.push(ev.info)
    }
    const result = await load
    expect(result.errors).toBe(0)
    expect(result.timeouts).toBe(0)
    expect(result.non2xx).toBe(0)
    expect(result['2xx']).toBeGreaterThan(100)

    expect(listDir(dir)).toEqual(infos.map((i) => path.basename(i.path)).sort())
    for (const info of infos) {
      expect(info.mode).toBe('fork')
      const snap = readSnapshot(info.path)
      expect(snap.strings).toContain('sessions')
    }
    expect(zombiesOf(server.pid)).toEqual([])
    expect(childrenOf(server.pid)).toEqual([])
    await new Promise((r) => setTimeout(r, 300))
    expect(pipeAndFileFds(server.pid)).toEqual(fdsBefore)
  } finally {
    server.proc.stdin.write('stop\n')
    await server.exited
  }
})

'use strict'
// In-process API tests: files, permissions, names, options, retention, guards.
const fs = require('fs')
const path = require('path')
const leakwatch = require('..')
const { tempDir, readSnapshot, listDir, SNAPSHOT_NAME } = require('./helpers')

describe('snapshot()', () => {
  test('inline mode writes a complete 0600 gzip snapshot into a 0700 directory', async () => {
    const dir = path.join(tempDir('api'), 'nested', 'snaps')
    const info = await leakwatch.snapshot({ dir, mode: 'inline', label: 'unit' })
    expect(info.mode).toBe('inline')
    expect(path.dirname(info.path)).toBe(dir)
    expect(path.basename(info.path)).toMatch(SNAPSHOT_NAME)
    expect(path.basename(info.path)).toContain(`-${process.pid}-`)
    expect(path.basename(info.path)).toMatch(/-unit\.heapsnapshot\.gz$/)
    expect(fs.statSync(info.path).mode & 0o777).toBe(0o600)
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700)
    expect(info.bytes).toBe(fs.statSync(info.path).size)
    const snap = readSnapshot(info.path)
    expect(info.rawBytes).toBeGreaterThan(info.bytes * 3)
    expect(snap.snapshot.node_count).toBeGreaterThan(1000)
    expect(listDir(dir)).toEqual([path.basename(info.path)])
  })

  test('a second snapshot while one is in flight is refused with ERR_LEAKWATCH_BUSY', async () => {
    const dir = tempDir('busy')
    const first = leakwatch.snapshot({ dir, mode: 'inline' })
    await expect(leakwatch.snapshot({ dir, mode: 'inline' })).rejects.toMatchObject({ code: 'ERR_LEAKWATCH_BUSY' })
    await first
    expect(listDir(dir)).toHaveLength(1)
  })

  test.each([
    [{ gzipLevl: 3 }, /gzipLevl: unknown option/],
    [{ mode: 'sometimes' }, /mode/],
    [{ gzipLevel: 12 }, /gzipLevel/],
    [{ gzipLevel: 1.5 }, /gzipLevel/],
    [{ timeoutMs: -1 }, /timeoutMs/],
    [{ dir: '' }, /dir/],
    [{ maxFiles: 0 }, /maxFiles/],
    [{ label: 'x'.repeat(65) }, /label/],
    [{ checkHeadroom: 'yes' }, /checkHeadroom/],
    ['fast', /options/],
  ])('invalid option %j is rejected with ERR_LEAKWATCH_INVALID_OPTION', async (opts, message) => {
    await expect(leakwatch.snapshot(opts)).rejects.toMatchObject({ code: 'ERR_LEAKWATCH_INVALID_OPTION', message: expect.stringMatching(message) })
  })

  test('onSignal validates the signal and options synchronously', () => {
    expect(() => leakwatch.onSignal('SIGKILL')).toThrow(expect.objectContaining({ code: 'ERR_LEAKWATCH_INVALID_OPTION' }))
    expect(() => leakwatch.onSignal('SIGNOPE')).toThrow(expect.objectContaining({ code: 'ERR_LEAKWATCH_INVALID_OPTION' }))
    expect(() => leakwatch.onSignal('SIGUSR2', { mode: 'bogus' })).toThrow(expect.objectContaining({ code: 'ERR_LEAKWATCH_INVALID_OPTION' }))
    expect(process.listenerCount('SIGUSR2')).toBe(0)
  })

  test('retention keeps the newest maxFiles and never touches foreign files', async () => {
    const dir = tempDir('retain')
    fs.writeFileSync(path.join(dir, 'mine.heapsnapshot.gz'), 'user data')
    const infos = []
    for (let i = 0; i < 3; i++) infos.push(await leakwatch.snapshot({ dir, mode: 'inline', maxFiles: 2 }))
    expect(infos[2].deleted).toEqual([infos[0].path])
    expect(listDir(dir)).toEqual([...infos.slice(1).map((i) => path.basename(i.path)), 'mine.heapsnapshot.gz'].sort())
  })

  test('retention by maxBytes keeps at least the newest snapshot', async () => {
    const dir = tempDir('retainbytes')
    await leakwatch.snapshot({ dir, mode: 'inline' })
    const last = await leakwatch.snapshot({ dir, mode: 'inline', maxBytes: 1 })
    expect(listDir(dir)).toEqual([path.basename(last.path)])
  })

  test('the memory guard honours a container limit and leaves nothing behind', async () => {
    const dir = tempDir('guard')
    const cg = tempDir('cgroup')
    // cgroup v2 layout; the unified line of /proc/self/cgroup resolves under this root.
    fs.writeFileSync(path.join(cg, 'memory.max'), String(64 * 1024 * 1024))
    fs.writeFileSync(path.join(cg, 'memory.current'), String(60 * 1024 * 1024))
    await expect(leakwatch.snapshot({ dir, mode: 'inline', cgroupRoot: cg }))
      .rejects.toMatchObject({ code: 'ERR_LEAKWATCH_NO_MEMORY_HEADROOM', message: expect.stringMatching(/cgroup/) })
    expect(listDir(dir)).toEqual([])
    const ok = await leakwatch.snapshot({ dir, mode: 'inline', cgroupRoot: cg, checkHeadroom: false })
    expect(listDir(dir)).toEqual([path.basename(ok.path)])
  })

  test('a file where the directory should be is ERR_LEAKWATCH_DIR_NOT_WRITABLE', async () => {
    const file = path.join(tempDir('notdir'), 'file')
    fs.writeFileSync(file, 'x')
    await expect(leakwatch.snapshot({ dir: path.join(file, 'sub'), mode: 'inline' }))
      .rejects.toMatchObject({ code: 'ERR_LEAKWATCH_DIR_NOT_WRITABLE' })
  })

  test('in a Worker, fork mode is refused and auto takes an inline snapshot', async () => {
    const { Worker } = require('worker_threads')
    const dir = tempDir('worker')
    const worker = new Worker(`
      const { parentPort } = require('worker_threads')
      const leakwatch = require(${JSON.stringify(path.join(__dirname, '..'))})
      const dir = ${JSON.stringify(dir)}
      ;(async () => {
        const fork = await leakwatch.snapshot({ dir, mode: 'fork' }).then(() => 'ok', (e) => e.code)
        const auto = await leakwatch.snapshot({ dir })
        parentPort.postMessage({ proven: leakwatch.forkProven(), fork, mode: auto.mode, path: auto.path })
      })()
    `, { eval: true })
    const msg = await new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject))
    await worker.terminate()
    expect(msg).toMatchObject({ proven: false, fork: 'ERR_LEAKWATCH_FORK_UNSUPPORTED', mode: 'inline' })
    expect(readSnapshot(msg.path).snapshot.node_count).toBeGreaterThan(1000)
    expect(leakwatch.forkProven()).toBe(process.platform === 'linux' && process.arch === 'x64')
  })

  test('LEAKWATCH_DIR sets the default directory', () => {
    const before = process.env.LEAKWATCH_DIR
    process.env.LEAKWATCH_DIR = '/srv/dumps'
    expect(leakwatch.defaultDir()).toBe('/srv/dumps')
    if (before === undefined) delete process.env.LEAKWATCH_DIR
    else process.env.LEAKWATCH_DIR = before
  })
})

// process.exit() while a forked child still writes: Node joins the libuv pool
// the supervisor waits on, so without ending the child the host would stay
// until the snapshot was done (26 s for this heap before the fix).
test('process.exit() during a fork snapshot ends the child: the host exits at once, nothing published', () => {
  const { spawnSync } = require('child_process')
  const { NODE } = require('./helpers')
  const dir = tempDir('exit-mid-fork')
  const script = `
    const leakwatch = require(${JSON.stringify(path.join(__dirname, '..'))})
    const keep = globalThis.keep = []
    for (let i = 0; i < 2000000; i++) keep.push({ i, s: 'x' + i, a: [i, i + 1] })
    leakwatch.snapshot({ mode: 'fork', dir: ${JSON.stringify(dir)} })
      .then((r) => console.log('published ' + r.path), (e) => console.log('error ' + e.code))
    setTimeout(() => { console.log('exiting'); process.exit(0) }, 200)`
  const r = spawnSync(NODE, ['-e', script], { encoding: 'utf8', timeout: 120000 })
  expect(r.status).toBe(0)
  expect(r.stdout.trim().split('\n')).toEqual(['exiting'])
  // The child was killed before it finished: no snapshot and no temp file.
  expect(fs.readdirSync(dir)).toEqual([])
}, 130000)

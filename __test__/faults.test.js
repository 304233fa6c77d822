'use strict'
// Each fault: an 'error' event with a stable code, no partial file, the
// process stays up, and the next snapshot succeeds.
const fs = require('fs')
const path = require('path')
const { execFileSync, spawnSync } = require('child_process')
const { Host, tempDir, readSnapshot, listDir, zombiesOf, childrenOf } = require('./helpers')

const HOST = path.join(__dirname, 'fixtures', 'capture-host.js')
const isError = (e) => e.event === 'error'
const isSnapshot = (e) => e.event === 'snapshot'

/** Sends SIGUSR2 and returns the resulting 'snapshot' or 'error' event. */
async function trigger(h) {
  const from = h.events.length
  h.signal()
  return h.waitFor((e) => isSnapshot(e) || isError(e), 60000, from)
}

async function expectRecovery(h, dir) {
  h.send({ op: 'fault', fault: 'none' })
  const from = h.events.length
  h.send({ op: 'snapshot', opts: { dir } })
  const r = await h.waitFor((e) => e.event === 'snapshot-result' || e.event === 'snapshot-error', 60000, from)
  expect(r.event).toBe('snapshot-result')
  readSnapshot(r.info.path)
  expect(zombiesOf(h.pid)).toEqual([])
  expect(h.proc.exitCode).toBe(null)
}

function mountTmpfs(dir, opts) {
  execFileSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir])
  return () => execFileSync('umount', [dir])
}

const noTemp = (dir) => listDir(dir).filter((f) => f.startsWith('.'))

test('an unwritable directory gives ERR_LEAKWATCH_DIR_NOT_WRITABLE, at setup or when it turns so later', async () => {
  const dir = tempDir('ro')
  // Root ignores mode bits, so use a read-only filesystem there.
  const readOnly = () => (process.getuid() === 0 ? mountTmpfs(dir, 'ro,size=1m') : (fs.chmodSync(dir, 0o500), () => {}))
  let unmount = readOnly()
  const early = new Host(HOST, { LW_OPTS: JSON.stringify({ dir: path.join(dir, 'snaps') }) })
  try {
    expect(await early.waitFor((e) => e.event === 'setup-error')).toMatchObject({ code: 'ERR_LEAKWATCH_DIR_NOT_WRITABLE' })
  } finally {
    await early.stop()
    unmount()
  }
  // Usable at setup, read-only by the first signal (a volume remounted, say).
  const h = new Host(HOST, { LW_OPTS: JSON.stringify({ dir: path.join(dir, 'snaps') }) })
  try {
    await h.waitFor((e) => e.event === 'ready')
    unmount = readOnly()
    expect(await trigger(h)).toMatchObject({ event: 'error', code: 'ERR_LEAKWATCH_DIR_NOT_WRITABLE' })
    await expectRecovery(h, tempDir('ro-ok'))
  } finally {
    await h.stop()
    unmount()
  }
})

test('a full disk gives ERR_LEAKWATCH_NO_DISK_HEADROOM up front, or ERR_LEAKWATCH_DISK_FULL mid-write', async () => {
  const dir = tempDir('full')
  const unmount = mountTmpfs(dir, 'size=1m')
  const h = new Host(HOST, { HEAP_OBJECTS: '100000', LW_OPTS: JSON.stringify({ dir }) })
  try {
    await h.waitFor((e) => e.event === 'ready')
    expect(await trigger(h)).toMatchObject({ event: 'error', code: 'ERR_LEAKWATCH_NO_DISK_HEADROOM' })
    let from = h.events.length
    h.send({ op: 'snapshot', opts: { dir, checkHeadroom: false } })
    expect(await h.waitFor((e) => e.event === 'snapshot-error', 60000, from)).toMatchObject({ code: 'ERR_LEAKWATCH_DISK_FULL' })
    expect(listDir(dir)).toEqual([])
    await expectRecovery(h, tempDir('full-ok'))
  } finally {
    await h.stop()
    unmount()
  }
})

test('a file size limit (RLIMIT_FSIZE) gives ERR_LEAKWATCH_DISK_FULL instead of SIGXFSZ', async () => {
  const dir = tempDir('fsize')
  // ulimit -f counts 1 KiB blocks: 256 KiB is far below the snapshot's size.
  const host = new Host(HOST, { HEAP_OBJECTS: '100000', LW_OPTS: JSON.stringify({ dir, checkHeadroom: false }) }, {
    node: 'bash', args: ['-c', `ulimit -f 256; exec "${process.env.LEAKWATCH_TEST_NODE || process.execPath}" "$0"`],
  })
  try {
    await host.waitFor((e) => e.event === 'ready')
    expect(await trigger(host)).toMatchObject({ event: 'error', code: 'ERR_LEAKWATCH_DISK_FULL' })
    expect(listDir(dir)).toEqual([])
    expect(host.proc.exitCode).toBe(null)
  } finally {
    await host.stop()
  }
})

test('a child killed with SIGKILL mid-write gives ERR_LEAKWATCH_CHILD_FAILED', async () => {
  const dir = tempDir('killed')
  const h = new Host(HOST, { HEAP_OBJECTS: '400000', LW_OPTS: JSON.stringify({ dir, mode: 'fork' }) })
  try {
    await h.waitFor((e) => e.event === 'ready')
    const from = h.events.length
    h.signal()
    let child
    for (let i = 0; i < 500 && !child; i++) {
      child = childrenOf(h.pid)[0]
      if (!child) await new Promise((r) => setTimeout(r, 5))
    }
    expect(child).toBeDefined()
    // Mid-write: the temporary file already holds compressed bytes.
    const writing = () => listDir(dir).some((f) => f.endsWith('.tmp') && fs.statSync(path.join(dir, f)).size > 0)
    for (let i = 0; i < 3000 && !writing(); i++) await new Promise((r) => setTimeout(r, 5))
    expect(writing()).toBe(true)
    process.kill(child, 'SIGKILL')
    const ev = await h.waitFor((e) => isSnapshot(e) || isError(e), 60000, from)
    expect(ev).toMatchObject({ event: 'error', code: 'ERR_LEAKWATCH_CHILD_FAILED', message: expect.stringMatching(/signal 9/) })
    expect(listDir(dir)).toEqual([])
    await expectRecovery(h, dir)
  } finally {
    await h.stop()
  }
})

test('a deadlocked child is detected, retried, and reported as ERR_LEAKWATCH_CHILD_HUNG', async () => {
  const dir = tempDir('hung')
  const h = new Host(HOST, { FAULT: 'hang', LW_OPTS: JSON.stringify({ dir, mode: 'fork', hangMs: 300, forkAttempts: 2 }) })
  try {
    await h.waitFor((e) => e.event === 'ready')
    expect(await trigger(h)).toMatchObject({ event: 'error', code: 'ERR_LEAKWATCH_CHILD_HUNG' })
    expect(noTemp(dir)).toEqual([])
    expect(listDir(dir)).toEqual([])
    await expectRecovery(h, dir)
  } finally {
    await h.stop()
  }
})

test('in auto mode a child that keeps hanging falls back to an inline snapshot and says so', async () => {
  const dir = tempDir('fallback')
  const h = new Host(HOST, { FAULT: 'hang', LW_OPTS: JSON.stringify({ dir, hangMs: 300, forkAttempts: 2 }) })
  try {
    await h.waitFor((e) => e.event === 'ready')
    const ev = await trigger(h)
    expect(ev).toMatchObject({ event: 'snapshot', info: { mode: 'inline', attempts: 3, fallbackReason: expect.stringMatching(/CHILD_HUNG/) } })
    readSnapshot(ev.info.path)
    expect(zombiesOf(h.pid)).toEqual([])
  } finally {
    await h.stop()
  }
})

test('a child still busy at its deadline is killed: ERR_LEAKWATCH_CHILD_TIMEOUT', async () => {
  const dir = tempDir('deadline')
  const h = new Host(HOST, { FAULT: 'busy', LW_OPTS: JSON.stringify({ dir, mode: 'fork', timeoutMs: 1000 }) })
  try {
    await h.waitFor((e) => e.event === 'ready')
    expect(await trigger(h)).toMatchObject({ event: 'error', code: 'ERR_LEAKWATCH_CHILD_TIMEOUT' })
    expect(listDir(dir)).toEqual([])
    expect(childrenOf(h.pid)).toEqual([])
    await expectRecovery(h, dir)
  } finally {
    await h.stop()
  }
})

test('an invalid option passed to onSignal fails fast and leaves the process usable', async () => {
  const dir = tempDir('badopt')
  const h = new Host(HOST, { LW_OPTS: JSON.stringify({ dir, gzipLevel: 'max' }) })
  try {
    expect(await h.waitFor((e) => e.event === 'setup-error')).toMatchObject({ code: 'ERR_LEAKWATCH_INVALID_OPTION' })
    await h.waitFor((e) => e.event === 'ready')
    await expectRecovery(h, dir)
  } finally {
    await h.stop()
  }
})

test('without an error listener, failures become process warnings, not crashes', async () => {
  const script = path.join(tempDir('nolistener'), 'host.js')
  fs.writeFileSync(script, `
    const lw = require(${JSON.stringify(path.resolve(__dirname, '..'))})
    const fs = require('fs')
    process.on('warning', (w) => { console.log(JSON.stringify({ event: 'warning', code: w.code })); process.exit(0) })
    // Usable at setup (a wrong one throws there), a file by the signal.
    const dir = ${JSON.stringify(path.join(tempDir('nolistener-dir'), 'snaps'))}
    lw.onSignal('SIGUSR2', { dir })
    fs.rmSync(dir, { recursive: true })
    fs.writeFileSync(dir, 'x')
    setInterval(() => {}, 1000)
    console.log(JSON.stringify({ event: 'ready' }))`)
  const h = new Host(script)
  await h.waitFor((e) => e.event === 'ready')
  h.signal()
  expect(await h.waitFor((e) => e.event === 'warning')).toMatchObject({ code: expect.stringMatching(/^ERR_LEAKWATCH_/) })
  expect(await h.exited).toEqual({ code: 0, signal: null })
})

// A container restart: the service is PID 1 of a fresh PID namespace each
// time, so the dead writer's temporary file carries the pid of the live one.
describe('restart in a new PID namespace', () => {
  const { NODE } = require('./helpers')
  const inNamespace = (env) => new Host(HOST, env, { node: 'unshare', args: ['--pid', '--fork', '--kill-child', '--mount-proc', NODE] })
  const temps = (dir) => listDir(dir).filter((f) => f.startsWith('.leakwatch-'))
  const alive = (pid) => fs.existsSync(`/proc/${pid}`) && !/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))

  test("the dead PID 1's cut temp file is removed when the next PID 1 starts, and retention counts only what is left", async () => {
    const dir = tempDir('pidns')
    const opts = JSON.stringify({ dir, mode: 'inline', maxFiles: 1 })
    const first = inNamespace({ HEAP_OBJECTS: '400000', LW_OPTS: opts })
    let node
    try {
      expect(await first.waitFor((e) => e.event === 'ready')).toMatchObject({ pid: 1 })
      node = childrenOf(first.pid)[0]
      first.send({ op: 'snapshot', opts: { dir, mode: 'inline' } })
      const size = (f) => { try { return fs.statSync(path.join(dir, f)).size } catch { return 0 } }
      const writing = () => temps(dir).some((f) => size(f) > 0)
      for (let i = 0; i < 12000 && !writing(); i++) await new Promise((r) => setTimeout(r, 5))
      expect(writing()).toBe(true)
    } finally {
      first.proc.kill('SIGKILL')
      await first.exited
    }
    for (let i = 0; i < 1000 && alive(node); i++) await new Promise((r) => setTimeout(r, 10))
    expect(alive(node)).toBe(false)
    const [cut] = temps(dir)
    expect(cut).toMatch(/^\.leakwatch-1-.*\.tmp$/)
    // The lock goes when the last thread exits: the main thread can already be
    // a zombie while the gzip thread is still in fsync under heavy I/O.
    const unlocked = () => spawnSync('flock', ['-n', path.join(dir, cut), 'true']).status === 0
    for (let i = 0; i < 1000 && !unlocked(); i++) await new Promise((r) => setTimeout(r, 10))
    expect(unlocked()).toBe(true)

    const second = inNamespace({ LW_OPTS: opts })
    try {
      expect(await second.waitFor((e) => e.event === 'ready')).toMatchObject({ pid: 1 })
      // onSignal() at start-up swept it: no snapshot needed.
      expect(temps(dir)).toEqual([])
      process.kill(childrenOf(second.pid)[0], 'SIGUSR2')
      const r = await second.waitFor((e) => isSnapshot(e) || isError(e), 60000)
      expect(r.event).toBe('snapshot')
      readSnapshot(r.info.path)
      expect(listDir(dir)).toEqual([path.basename(r.info.path)])
    } finally {
      await second.stop()
    }
  })
})

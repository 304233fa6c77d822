'use strict'
const { spawn, spawnSync } = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')
const zlib = require('zlib')
const { childrenOf } = require('../scripts/procfs')

const NODE = process.env.LEAKWATCH_TEST_NODE || process.execPath

const made = []

/** A fresh directory, removed after the test file: snapshots are megabytes each. */
function tempDir(tag) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `lw-${tag}-`))
  made.push(dir)
  return dir
}

// Jest's module registry is per test file, so this registers once per file.
if (typeof afterAll === 'function') {
  afterAll(() => {
    for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
  })
}

/** A spawned node process whose stdout JSON lines can be awaited. */
class Host {
  constructor(script, env = {}, { node = NODE, args = [] } = {}) {
    this.events = []
    this.waiters = []
    this.stderr = ''
    this.proc = spawn(node, [...args, script], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })))
    let buf = ''
    this.proc.stdout.on('data', (d) => {
      buf += d
      let i
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i)
        buf = buf.slice(i + 1)
        let ev
        try { ev = JSON.parse(line) } catch { continue }
        this.events.push(ev)
        this.waiters = this.waiters.filter((w) => !w(ev))
      }
    })
    this.proc.stderr.on('data', (d) => { this.stderr += d })
  }

  get pid() { return this.proc.pid }

  /** Resolves with the next event (or an already seen one after `from`) matching `pred`. */
  waitFor(pred, timeoutMs = 60000, from = 0) {
    const seen = this.events.slice(from).find(pred)
    if (seen) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting; events: ${JSON.stringify(this.events)}; stderr: ${this.stderr}`)), timeoutMs)
      this.waiters.push((ev) => {
        if (!pred(ev)) return false
        clearTimeout(t)
        resolve(ev)
        return true
      })
    })
  }

  send(cmd) { this.proc.stdin.write(JSON.stringify(cmd) + '\n') }

  signal(sig = 'SIGUSR2') { process.kill(this.proc.pid, sig) }

  async stop() {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.send({ op: 'exit' })
      const t = setTimeout(() => this.proc.kill('SIGKILL'), 10000)
      await this.exited
      clearTimeout(t)
    }
    return this.exited
  }
}

/** The JSON lines (those starting with `{`) in a child's output, parsed. */
function jsonLines(text) {
  return text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l))
}

/**
 * Runs `node args...` to its end and resolves with { code, signal, stdout,
 * stderr, lines }, `lines` being its JSON lines parsed. `env` is added to this
 * process's; the child is killed (SIGKILL) after `timeoutMs`.
 */
function runJsonLines(args, { env = {}, timeoutMs = 60000, node = NODE, cwd = path.join(__dirname, '..') } = {}) {
  return new Promise((resolve) => {
    const child = spawn(node, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr, lines: jsonLines(stdout) })
    })
  })
}

/**
 * Three raw snapshots of one child process: `body` defines `work()`, which
 * runs before each snapshot (object ids stay consistent across the three).
 */
function threeSnapshots(tag, body) {
  const dir = tempDir(tag)
  const script = `'use strict'
${body}
const v8 = require('v8')
for (let n = 1; n <= 3; n++) {
  work()
  v8.writeHeapSnapshot(require('path').join(process.argv[2], 's' + n + '.heapsnapshot'))
}
`
  fs.writeFileSync(path.join(dir, 'script.js'), script)
  const r = spawnSync(process.execPath, [path.join(dir, 'script.js'), dir], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`snapshot script failed: ${r.stderr}`)
  return [1, 2, 3].map((n) => path.join(dir, `s${n}.heapsnapshot`))
}

/** Gunzips and parses a snapshot file, checking the node array's shape. */
function readSnapshot(file) {
  const json = JSON.parse(zlib.gunzipSync(fs.readFileSync(file)).toString('utf8'))
  const meta = json.snapshot.meta
  const fields = meta.node_fields.length
  if (json.nodes.length !== json.snapshot.node_count * fields) {
    throw new Error(`${file}: nodes.length ${json.nodes.length} != node_count ${json.snapshot.node_count} * ${fields}`)
  }
  if (json.edges.length !== json.snapshot.edge_count * meta.edge_fields.length) {
    throw new Error(`${file}: edges.length does not match edge_count`)
  }
  return json
}

/** Zombie children of `pid` (state Z). */
function zombiesOf(pid) {
  return childrenOf(pid).filter((c) => {
    try {
      return /\) Z /.test(fs.readFileSync(`/proc/${c}/stat`, 'utf8'))
    } catch {
      return false
    }
  })
}

/** The targets of a process's pipe and file descriptors (sockets excluded). */
function pipeAndFileFds(pid) {
  const out = []
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`)
      if (!target.startsWith('socket:') && !target.startsWith('anon_inode:')) out.push(target)
    } catch {}
  }
  return out.sort()
}

function listDir(dir) {
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []
}

const SNAPSHOT_NAME = /^[A-Za-z0-9._]+-\d+-\d{8}T\d{6}\.\d{3}Z-\d+(-[A-Za-z0-9._]+)?\.heapsnapshot\.gz$/

/** Sampled live bytes per allocating function (the top frame of each sample's stack), largest first. */
function liveBytesByFunction(profile) {
  const byId = new Map()
  const stack = [profile.head]
  while (stack.length) {
    const n = stack.pop()
    byId.set(n.id, n)
    stack.push(...n.children)
  }
  const totals = new Map()
  for (const s of profile.samples) {
    const name = byId.get(s.nodeId).callFrame.functionName || '(anonymous)'
    totals.set(name, (totals.get(name) || 0) + s.size)
  }
  return [...totals.entries()].sort((a, b) => b[1] - a[1])
}

/** Resolves once `done()` is true (polled every 10 ms); rejects after `timeoutMs` saying so. */
async function until(done, timeoutMs) {
  const end = Date.now() + timeoutMs
  while (!done()) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

module.exports = { until, liveBytesByFunction, jsonLines, runJsonLines, NODE, Host, tempDir, threeSnapshots, readSnapshot, childrenOf, zombiesOf, pipeAndFileFds, listDir, SNAPSHOT_NAME }

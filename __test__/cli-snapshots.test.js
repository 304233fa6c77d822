'use strict'
// The quick start as a user runs it: a leaking process gets SIGUSR2 five times,
// another process leaves a snapshot in the same directory, and
// `leakwatch analyze <dir>` must pick first, middle and last of the leaking
// process, say so, warn about the other process, and name the holder.
const { spawnSync } = require('child_process')
const fs = require('fs')
const path = require('path')
const { analyze } = require('../lib/analyze')
const { Host, tempDir } = require('./helpers')

const ROOT = path.join(__dirname, '..')
const CLI = path.join(ROOT, 'bin', 'leakwatch.js')

const SERVICE = `'use strict'
const leakwatch = require(${JSON.stringify(ROOT)})
leakwatch.onSignal('SIGUSR2', { dir: process.env.SNAP_DIR, mode: 'inline' })
leakwatch.events.on('snapshot', (info) => console.log(JSON.stringify({ event: 'snapshot', path: info.path })))
const sessionStore = []
function rememberSession(i) {
  sessionStore.push({ id: i, token: 'tok-' + i + '-' + Math.random().toString(36), roles: ['reader'] })
}
let i = 0
require('readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const cmd = JSON.parse(line)
  if (cmd.op === 'grow') {
    for (let k = 0; k < 3000; k++) rememberSession(i++)
    console.log(JSON.stringify({ event: 'grown', n: i }))
  }
  if (cmd.op === 'exit') process.exit(0)
})
console.log(JSON.stringify({ event: 'ready' }))
`

let dir
let ours = []
let other

beforeAll(async () => {
  dir = tempDir('cli-dir')
  const script = path.join(tempDir('cli-dir-script'), 'service.js')
  fs.writeFileSync(script, SERVICE)
  const host = new Host(script, { SNAP_DIR: dir })
  try {
    await host.waitFor((e) => e.event === 'ready')
    for (let n = 1; n <= 5; n++) {
      const before = host.events.length
      host.send({ op: 'grow' })
      await host.waitFor((e) => e.event === 'grown', 60000, before)
      host.signal('SIGUSR2')
      const snap = await host.waitFor((e) => e.event === 'snapshot', 60000, before)
      ours.push(snap.path)
    }
  } finally {
    await host.stop()
  }
  // Another process's snapshot in the same directory.
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(ROOT)}).snapshot({ dir: ${JSON.stringify(dir)}, mode: 'inline' }).then((i) => console.log(i.path))`], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(r.stderr)
  other = r.stdout.trim()
}, 180000)

describe('leakwatch analyze <directory>', () => {
  test('after 5 signals plus another process: first, middle and last of one process, said and warned', () => {
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot.gz'))).toHaveLength(6)
    const r = spawnSync(process.execPath, [CLI, 'analyze', dir, '--json'], { encoding: 'utf8' })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    const report = JSON.parse(r.stdout)
    const sel = report.summary.selection
    expect(sel.available).toBe(5)
    expect(sel.chosen).toEqual([ours[0], ours[2], ours[4]])
    expect(report.summary.snapshots.map((s) => s.file)).toEqual([ours[0], ours[2], ours[4]])
    expect(sel.notes.join('\n')).toMatch(/snapshots of 2 processes were given/)
    expect(sel.notes.join('\n')).toContain(path.basename(other).split('-')[1])
    expect(sel.notes.join('\n')).toMatch(/5 snapshots of pid \d+ .*first, middle and last \(numbers 1, 3, 5/)
    const top = report.suspects[0]
    expect(top.holder.name).toBe('sessionStore')
    expect(top.holder.type).toBe('variable')
    expect(top.holder.description).toMatch(/module scope of .*service\.js/)
    expect(top.kind).toBe('unbounded-collection')
    expect(top.advice).toMatch(/^Bound it/)
    // Small integers live inside the object, so `id` has no edge to show.
    expect(top.path).toMatch(/^module scope of .*service\.js > sessionStore > \[\d+\] > Object\{token,roles\}$/)
    expect(top.rawPath).toMatch(/\[context\] > sessionStore > \[\d+\] > Object\{token,roles\}$/)
    const text = spawnSync(process.execPath, [CLI, 'analyze', dir], { encoding: 'utf8' }).stdout
    expect(text).toMatch(/warning: snapshots of 2 processes/)
    expect(text).toMatch(/held by: variable `sessionStore` \(Array\) in the module scope of .*service\.js/)
    expect(text).toMatch(/kind: unbounded-collection/)
    expect(text).not.toMatch(/defined at/)
  })

  test('snapshots given newest first are analysed oldest first, with a warning (no false negative)', async () => {
    const report = await analyze([ours[4], ours[2], ours[0]])
    expect(report.summary.snapshots.map((s) => s.file)).toEqual([ours[0], ours[2], ours[4]])
    expect(report.summary.selection.notes.join('\n')).toMatch(/not given oldest first/)
    expect(report.suspects[0].holder.name).toBe('sessionStore')
  })

  test('any number of files; duplicates count once; a directory without snapshots is an error', async () => {
    const report = await analyze([...ours, ours[0]])
    expect(report.summary.selection.chosen).toEqual([ours[0], ours[2], ours[4]])
    const three = await analyze(ours.slice(0, 3))
    expect(three.summary.selection).toBeUndefined()
    const emptyDir = tempDir('cli-empty')
    await expect(analyze(emptyDir)).rejects.toMatchObject({ code: 'ERR_LEAKWATCH_INVALID_OPTION' })
    const r = spawnSync(process.execPath, [CLI, 'analyze', emptyDir], { encoding: 'utf8' })
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('ERR_LEAKWATCH_INVALID_OPTION')
  })

  test('the CLI parses options with util.parseArgs: unknown options and bad numbers are usage errors', () => {
    const unknown = spawnSync(process.execPath, [CLI, 'analyze', dir, '--frobnicate'], { encoding: 'utf8' })
    expect(unknown.status).toBe(2)
    expect(unknown.stderr).toMatch(/Unknown option '--frobnicate'/)
    const bad = spawnSync(process.execPath, [CLI, 'analyze', dir, '--max-suspects', 'many'], { encoding: 'utf8' })
    expect(bad.status).toBe(2)
    expect(bad.stderr).toContain('--max-suspects needs a number')
    const eq = spawnSync(process.execPath, [CLI, 'analyze', ours[0], ours[4], '--max-suspects=1', '--json'], { encoding: 'utf8' })
    expect(eq.status).toBe(0)
    expect(JSON.parse(eq.stdout).suspects.length).toBeLessThanOrEqual(1)
    const help = spawnSync(process.execPath, [CLI, 'analyze', '--help'], { encoding: 'utf8' })
    expect(help.status).toBe(0)
    expect(help.stdout).toContain('usage: leakwatch analyze')
  })
})

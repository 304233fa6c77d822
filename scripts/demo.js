'use strict'
// npm run demo: starts examples/leaky-express with leakwatch, drives bounded
// load on 127.0.0.1, shows the watchdog's 'leak' event and the snapshots it
// took, then analyzes them and names what leaks. Ends by itself in about a
// minute; exits non-zero if the analysis does not name a leaking array.
const { spawn } = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')
const readline = require('readline')
const autocannon = require('autocannon')
const leakwatch = require('..')

const DEADLINE_MS = 90000
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-demo-'))
const say = (s) => console.log(s)
const mb = (b) => `${(b / 1048576).toFixed(1)} MiB`

function startServer() {
  // A small young generation promotes request garbage quickly, so major GCs (the
  // watchdog's samples) come every second or two even on this small heap.
  const child = spawn(process.execPath, ['--max-semi-space-size=1', path.join(__dirname, '..', 'examples', 'leaky-express', 'server.js')], {
    env: { ...process.env, DEMO_FAST: '1', PORT: '0', LEAKWATCH_DIR: dir },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const events = []
  const waiters = []
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    let ev
    try { ev = JSON.parse(line) } catch { return }
    events.push(ev)
    for (const w of waiters.splice(0)) if (!w(ev)) waiters.push(w)
  })
  const next = (pred, ms) => new Promise((resolve, reject) => {
    const seen = events.find(pred)
    if (seen) return resolve(seen)
    const t = setTimeout(() => reject(new Error('the demo timed out')), ms)
    waiters.push((ev) => (pred(ev) ? (clearTimeout(t), resolve(ev), true) : false))
  })
  return { child, events, next }
}

async function main() {
  const started = Date.now()
  const left = () => Math.max(1000, DEADLINE_MS - (Date.now() - started))
  say('leakwatch demo: a leaky Express service, watched by leakwatch\n')
  const server = startServer()
  const { port, pid } = await server.next((e) => e.event === 'listening', 10000)
  say(`service up on 127.0.0.1:${port} (pid ${pid}); driving load on /api/profile, /api/clean and now and then /api/report ...`)

  const base = `http://127.0.0.1:${port}`
  const load = autocannon({
    url: base,
    connections: 4,
    overallRate: 600,
    duration: 60,
    requests: [{ path: '/api/profile', headers: { 'user-agent': 'demo-client/1.0 (leakwatch)', accept: 'application/json' } }, { path: '/api/clean' }],
  })
  const report = setInterval(() => fetch(`${base}/api/report`).catch(() => {}), 3000)
  try {
    const leak = await server.next((e) => e.event === 'leak', left())
    say(`\n'leak' event after ${((Date.now() - started) / 1000).toFixed(0)} s:`)
    say(`  live heap ${mb(leak.liveHeapBytes)}, growing ${mb(leak.growthBytesPerMin)}/min, confidence ${(leak.confidence * 100).toFixed(1)}%`)
    say(`  projected out of memory in ${leak.msToOom == null ? '?' : (leak.msToOom / 60000).toFixed(1) + ' min'} (${leak.reason})`)
    say('\nthe watchdog takes 3 heap snapshots, spaced out, while the load goes on ...')
    for (let i = 1; i <= 3; i++) {
      const s = await server.next((e) => e.event === 'watchdog-snapshot' && server.events.filter((x) => x.event === 'watchdog-snapshot').length >= i, left())
      say(`  snapshot ${i}: ${s.path}`)
    }
  } finally {
    clearInterval(report)
    load.stop()
    server.child.kill('SIGTERM')
  }
  const paths = server.events.filter((e) => e.event === 'watchdog-snapshot').map((e) => e.path)
  say(`\nanalyzing the 3 snapshots (3-snapshot technique, matched by retaining path) ...\n`)
  const result = await leakwatch.analyze(paths)
  say(result.toString())
  const named = result.suspects.slice(0, 3).map((s) => s.holder.name).join('\n')
  const ok = /requestLog|reportCache/.test(named)
  say(ok
    ? `\nleakwatch named the leak: ${result.suspects[0].holder.description}\nsnapshots are in ${dir}`
    : '\nthe analysis did not name a leaking array')
  process.exitCode = ok ? 0 : 1
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})

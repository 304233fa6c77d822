'use strict'

// The watchdog in real time, at DEFAULT options (issue 10): time to the first
// 'leak' against the leak rate; fast leaks under 256 and 512 MB heaps (was
// 'leak' emitted, how long before the OOM); an external-memory (Buffer) leak;
// clean runs with big freed Buffers. memwatch's rule runs in the same
// children (bench/watchdog-rate-child.js).

const { spawn } = require('child_process')
const path = require('path')

function child(kind, mbPerMin, durationMs, flags = [], untilDeath = false) {
  return new Promise((resolve) => {
    const started = Date.now()
    const p = spawn(process.execPath, [...flags, path.join(__dirname, 'watchdog-rate-child.js'), kind, String(mbPerMin), String(durationMs), untilDeath ? 'until-death' : ''], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    p.stdout.on('data', (d) => (out += d))
    p.stderr.on('data', (d) => (err += d))
    const kill = setTimeout(() => p.kill('SIGKILL'), durationMs + 60_000)
    p.on('close', (code, signal) => {
      clearTimeout(kill)
      const lines = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l))
      resolve({ code, signal, wallMs: Date.now() - started, lines, oom: /heap out of memory/.test(err) })
    })
  })
}

function score(name, spec, r) {
  const leaks = r.lines.filter((l) => l.type === 'leak')
  const mw = r.lines.filter((l) => l.type === 'memwatch')
  const done = r.lines.find((l) => l.type === 'done')
  const first = leaks[0] || null
  return {
    name,
    ...spec,
    died: !done,
    oom: r.oom,
    // The child's clock starts once it has loaded; death is measured by the
    // parent, so msBeforeDeath is a slight over-estimate (start-up time).
    diedAtMs: done ? null : r.wallMs,
    leakwatch: {
      detected: Boolean(first),
      detectMs: first ? first.t : null,
      kind: first ? first.kind : null,
      urgent: first ? first.urgent : null,
      msToOom: first ? first.msToOom : null,
      msBeforeDeath: first && !done ? r.wallMs - first.t : null,
      events: leaks.length,
      falseAlarms: spec.clean ? leaks.length : 0,
    },
    memwatch: {
      detected: mw.length > 0,
      detectMs: mw.length ? mw[0].t : null,
      falseAlarms: spec.clean ? mw.length : 0,
    },
    forcedGcs: done ? done.gc.forced : null,
    forcedGcPauseMs: done ? done.gc.forcedPauseMs : null,
  }
}

function cases(quick) {
  const min = 60_000
  const list = [
    ['rate-10', { kind: 'heap', mbPerMin: 10, durationMs: (quick ? 4 : 6) * min }],
    ['rate-100', { kind: 'heap', mbPerMin: 100, durationMs: 4 * min }],
    ['rate-400', { kind: 'heap', mbPerMin: 400, durationMs: 3 * min }],
    ['oom-256', { kind: 'heap', mbPerMin: 400, durationMs: 10 * min, flags: ['--max-old-space-size=256'] }],
    ['oom-512', { kind: 'heap', mbPerMin: 400, durationMs: 10 * min, flags: ['--max-old-space-size=512'] }],
    // Faster than a tick: dies within ~10 s on an idle machine.
    ['oom-128', { kind: 'heap', mbPerMin: 660, durationMs: 10 * min, flags: ['--max-old-space-size=128'] }],
    ['external-100', { kind: 'external', mbPerMin: 100, durationMs: 4 * min }],
    ['clean-buffers', { kind: 'clean-buffers', mbPerMin: 0, durationMs: (quick ? 4 : 8) * min, clean: true }],
    ['clean-idle-load', { kind: 'clean', mbPerMin: 0, durationMs: (quick ? 4 : 8) * min, clean: true }],
  ]
  // Below the default minGrowthBytesPerMin (1 MiB/min): not to be reported.
  if (!quick) list.unshift(['rate-1', { kind: 'heap', mbPerMin: 1, durationMs: 8 * min }])
  return list
}

async function inTime({ quick, concurrency = 2, log = () => {} }) {
  const jobs = cases(quick)
  const results = []
  let next = 0
  async function worker() {
    while (next < jobs.length) {
      const [name, spec] = jobs[next++]
      const r = score(name, spec, await child(spec.kind, spec.mbPerMin, spec.durationMs, spec.flags, Boolean(spec.flags)))
      const l = r.leakwatch
      log(`  ${name.padEnd(16)} leakwatch ${l.detected ? `${(l.detectMs / 1000).toFixed(1)}s ${l.kind}${l.urgent ? ' urgent' : ''}` : 'no'}` +
        `  memwatch ${r.memwatch.detected ? `${(r.memwatch.detectMs / 1000).toFixed(1)}s` : 'no'}${r.died ? `  died at ${(r.diedAtMs / 1000).toFixed(1)}s` : ''}\n`)
      results.push(r)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const order = jobs.map(([n]) => n)
  results.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name))
  const leaks = results.filter((r) => !r.clean && r.mbPerMin >= 10)
  return {
    settings: 'watch() at defaults, real time, default Node flags except the heap limit of the oom cases',
    summary: {
      leaksAtLeast10MBPerMinReported: `${leaks.filter((r) => r.leakwatch.detected).length}/${leaks.length}`,
      maxDetectMs: Math.max(0, ...leaks.filter((r) => r.leakwatch.detected).map((r) => r.leakwatch.detectMs)),
      oomCasesReportedBeforeDeath: results.filter((r) => r.died && r.leakwatch.detected).length + '/' + results.filter((r) => r.died).length,
      cleanFalseAlarms: results.filter((r) => r.clean).reduce((s, r) => s + r.leakwatch.falseAlarms, 0),
      memwatchCleanFalseAlarms: results.filter((r) => r.clean).reduce((s, r) => s + r.memwatch.falseAlarms, 0),
    },
    runs: results,
  }
}

module.exports = { inTime }

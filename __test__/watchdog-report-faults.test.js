'use strict'
// The watchdog's own report when its snapshots meet real faults (issue 12,
// item 3): a failed capture uses no slot and is retried; when no report can
// come the user is told with a code; the user's own SamplingProfiler and the
// watchdog's share V8's one sampling heap profiler. Each case is a real
// Express service under bounded autocannon load on 127.0.0.1
// (fixtures/report-service.js, SCENARIO picks the fault). Events are counted,
// never timed.
const fs = require('fs')
const os = require('os')
const path = require('path')
const { execFile } = require('child_process')

const FIXTURE = path.join(__dirname, 'fixtures', 'report-service.js')

function run(scenario) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `leakwatch-report-${scenario}-`))
  return new Promise((resolve) => {
    execFile(process.execPath, [FIXTURE], { env: { ...process.env, LEAKWATCH_DIR: dir, SCENARIO: scenario }, timeout: 120000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const lines = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l))
      const of = (event) => lines.filter((l) => l.event === event)
      fs.rmSync(dir, { recursive: true, force: true })
      resolve({ code: err ? err.code : 0, lines, of, stderr })
    })
  })
}

const expectReport = (r) => {
  const [report] = r.of('report')
  expect({ code: r.code, stderr: report ? '' : r.stderr }).toEqual({ code: 0, stderr: '' })
  expect(r.of('report')).toHaveLength(1)
  expect(report.report.suspects[0].path).toContain('accessLog')
  return report
}

test("the service's own snapshot collides with the watchdog's: the watchdog waits, and 'report' comes from 3 snapshots", async () => {
  const r = await run('busy')
  const report = expectReport(r)
  expect(r.of('own-snapshot')).toHaveLength(1)
  // The collision happened, was said once, and cost no slot.
  expect(r.lines.filter((l) => l.type === 'snapshot-deferred')).toHaveLength(1)
  expect(r.lines.find((l) => l.type === 'snapshot-deferred').code).toBe('ERR_LEAKWATCH_BUSY')
  expect(r.of('error')).toHaveLength(0)
  const snaps = r.of('snapshot')
  expect(snaps.map((s) => path.basename(s.path).replace(/^.*-(leak_\d)\..*$/, '$1'))).toEqual(['leak_1', 'leak_2', 'leak_3'])
  expect(report.analysis.files).toEqual(snaps.map((s) => s.path))
  expect(report.analysis.partial).toBeNull()
  expect(report.report.suspects[0].allocation.functionName).toBe('recordAccess')
}, 120000)

test('a capture that fails (directory blocked) is retried and uses no slot', async () => {
  const r = await run('dir-once')
  const report = expectReport(r)
  expect(r.of('error').map((e) => e.code)).toEqual(['ERR_LEAKWATCH_DIR_NOT_WRITABLE'])
  expect(r.of('snapshot')).toHaveLength(3)
  expect(report.analysis.files).toHaveLength(3)
}, 120000)

test("captures that keep failing: 3 tries, then ERR_LEAKWATCH_REPORT_FAILED says the report cannot come and why", async () => {
  const r = await run('dir-blocked')
  expect(r.code).toBe(2)
  expect(r.of('report')).toHaveLength(0)
  expect(r.of('snapshot')).toHaveLength(0)
  const errors = r.of('error')
  expect(errors.map((e) => e.code)).toEqual([
    'ERR_LEAKWATCH_DIR_NOT_WRITABLE', 'ERR_LEAKWATCH_DIR_NOT_WRITABLE', 'ERR_LEAKWATCH_DIR_NOT_WRITABLE',
    'ERR_LEAKWATCH_REPORT_FAILED',
  ])
  const last = errors[3]
  expect(last.cause).toBe('ERR_LEAKWATCH_DIR_NOT_WRITABLE')
  expect(last.snapshots).toEqual([])
  expect(last.message).toMatch(/cannot be made: it has 0 of the 3 snapshots .*3 captures in a row failed, the last with ERR_LEAKWATCH_DIR_NOT_WRITABLE/)
}, 120000)

test('retention that deletes the watchdog\'s snapshots: each is retaken, then a partial report from the 2 left says so', async () => {
  const r = await run('retention')
  const report = expectReport(r)
  expect(r.of('error')).toHaveLength(0)
  // maxFiles 2: the 3rd, 4th and 5th snapshots each delete an older one.
  const snaps = r.of('snapshot')
  expect(snaps).toHaveLength(5)
  expect(snaps.slice(2).map((s) => s.deleted.length)).toEqual([1, 1, 1])
  expect(report.analysis.files).toEqual(snaps.slice(3).map((s) => s.path))
  expect(report.analysis.partial).toMatchObject({ wanted: 3, taken: 2 })
  expect(report.analysis.partial.reason).toMatch(/3 of its snapshots were deleted before the report \(retention: snapshot.maxFiles 2/)
}, 120000)

test("the user's SamplingProfiler and the watchdog share V8's one profiler; neither's stop() stops the other's", async () => {
  const r = await run('user-profiler')
  const report = expectReport(r)
  expect(r.of('error')).toHaveLength(0)
  // The watchdog joined the user's profiler, at the user's interval.
  expect(r.lines.find((l) => l.type === 'profiling-started')).toMatchObject({ shared: true, samplingIntervalBytes: 32 * 1024 })
  expect(r.of('user-profiler-stopped')).toEqual([{ event: 'user-profiler-stopped', running: false }])
  // After the user's stop() (at the first snapshot) the watchdog still reads profiles.
  const snaps = r.of('snapshot')
  expect(snaps).toHaveLength(3)
  for (const s of snaps) expect(s.heapProfile).toBe(s.path.replace(/\.heapsnapshot\.gz$/, '.heapprofile'))
  expect(report.report.suspects[0].allocation.functionName).toBe('recordAccess')
  // A profiler the user starts while the watchdog samples still samples after the watchdog's stop().
  expect(r.of('after-stop')).toEqual([{ event: 'after-stop', running: true, profiles: true }])
}, 120000)

'use strict'
// The watchdog's own report: a real Express service with a planted leak,
// under bounded autocannon load on 127.0.0.1, takes three snapshots (with the
// sampling heap profile beside each), analyses them in a child process and
// emits 'report'; /status shows it. The detector is scripted in the fixture
// (its own tests are in watch.test.js), everything after it is real.
const fs = require('fs')
const os = require('os')
const path = require('path')
const { execFile } = require('child_process')
const { analyzeInChild } = require('../lib/watchdog-report')

const FIXTURE = path.join(__dirname, 'fixtures', 'report-service.js')

function run(env) {
  return new Promise((resolve) => {
    execFile(process.execPath, [FIXTURE], { env: { ...process.env, ...env }, timeout: 120000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const lines = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l))
      resolve({ code: err ? err.code : 0, lines, stderr })
    })
  })
}

let dir
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-report-')) })
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

test("a leaking service gets a 'report' naming the holder and the allocating function", async () => {
  const { code, lines, stderr } = await run({ LEAKWATCH_DIR: dir })
  const report = lines.find((l) => l.event === 'report')
  expect({ code, stderr: report ? '' : stderr }).toEqual({ code: 0, stderr: '' })
  expect(lines.filter((l) => l.event === 'snapshot')).toHaveLength(3)
  const top = report.report.suspects[0]
  expect(top.path).toContain('accessLog')
  expect(top.allocation.functionName).toBe('recordAccess')
  expect(top.allocation.url).toBe(FIXTURE)
  expect(report.text).toMatch(/allocated by: recordAccess \(.*report-service\.js:\d+:\d+\)/)
  expect(report.analysis.where).toBe('child process')
  // /status shows the latest report, text included.
  expect(report.status.report.suspects[0].allocation.functionName).toBe('recordAccess')
  expect(report.status.report.text).toContain('allocated by: recordAccess')
  // Every snapshot has its profile beside it, 0600.
  for (const s of lines.filter((l) => l.event === 'snapshot')) {
    const profile = s.path.replace(/\.heapsnapshot\.gz$/, '.heapprofile')
    expect(fs.statSync(profile).mode & 0o777).toBe(0o600)
  }
}, 120000)

test('a failed analysis is an error with a stable code, and the host lives on', async () => {
  const bad = path.join(dir, 'x-1-19700101T000000.000Z-1.heapsnapshot.gz')
  fs.writeFileSync(bad, 'not gzip')
  await expect(analyzeInChild([bad, bad])).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_LEAKWATCH_(GZIP|SNAPSHOT_PARSE)$/) })
  await expect(analyzeInChild([bad, bad], { timeoutMs: 1 })).rejects.toMatchObject({ code: 'ERR_LEAKWATCH_TIMEOUT' })
})

test("the watchdog's stop() ends an analysis under way: the child is killed and nothing is reported", async () => {
  const bad = path.join(dir, 'x-1-19700101T000000.000Z-2.heapsnapshot.gz')
  fs.writeFileSync(bad, 'not gzip')
  const ac = new AbortController()
  const p = analyzeInChild([bad, bad], { signal: ac.signal })
  ac.abort()
  await expect(p).rejects.toMatchObject({ code: 'ERR_LEAKWATCH_REPORT_FAILED', message: expect.stringContaining('stopped') })
  const gone = new AbortController()
  gone.abort()
  await expect(analyzeInChild([bad, bad], { signal: gone.signal })).rejects.toMatchObject({ code: 'ERR_LEAKWATCH_REPORT_FAILED' })
})

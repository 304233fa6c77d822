'use strict'
// The sampling heap profiler as a user drives it: a real process allocates in
// a named function, saves a .heapprofile, and the file names that function.
const { spawnSync } = require('child_process')
const fs = require('fs')
const path = require('path')
const { tempDir, NODE, liveBytesByFunction, jsonLines } = require('./helpers')
const { SamplingProfiler, DEFAULT_SAMPLING_INTERVAL_BYTES } = require('../lib/sampling-profiler')

const HOST = path.join(__dirname, 'fixtures', 'profiler-host.js')

function run(env) {
  const r = spawnSync(NODE, [HOST], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60000 })
  return { ...r, lines: jsonLines(r.stdout) }
}

test('a saved profile parses and its hottest live stack is the allocating function', () => {
  const dir = tempDir('prof')
  const file = path.join(dir, 'nested', 'run.heapprofile')
  const r = run({ OUT: file })
  expect(r.status).toBe(0)
  const saved = r.lines.find((l) => l.saved)
  expect(saved).toBeDefined()
  expect(saved.saved.path).toBe(file)
  // Profilers of one process share V8's one: the first's interval, and the
  // second's stop() does not stop the first.
  expect(r.lines.find((l) => 'second' in l).second).toEqual({ shared: true, interval: 16384 })
  expect(r.lines.find((l) => 'afterSecondStop' in l).afterSecondStop).toEqual({ running: true, shared: false, profiles: true })
  expect(r.lines.find((l) => 'stopped' in l).stopped).toBe(true)
  const text = fs.readFileSync(file, 'utf8')
  expect(Buffer.byteLength(text)).toBe(saved.saved.bytes)
  const profile = JSON.parse(text)
  expect(profile.head.callFrame).toBeDefined()
  expect(profile.samples.length).toBeGreaterThan(10)
  const [top] = liveBytesByFunction(profile)
  expect(top[0]).toBe('retainRequestRecordsForProfilerTest')
  // Live objects only: the garbage-making function holds nothing at save time.
  const garbage = liveBytesByFunction(profile).find(([n]) => n === 'churnGarbage')
  expect(garbage ? garbage[1] : 0).toBeLessThan(top[1] / 10)
  expect(fs.statSync(file).mode & 0o777).toBe(0o600)
  expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700)
  expect(fs.readdirSync(path.dirname(file))).toEqual(['run.heapprofile'])
})

test('a profiler another inspector session started is not joined: ERR_LEAKWATCH_BUSY', () => {
  const r = run({ OUT: path.join(tempDir('prof-foreign'), 'x.heapprofile'), FOREIGN: '1' })
  expect(r.status).toBe(0)
  expect(r.lines.find((l) => 'foreign' in l).foreign).toBe('ERR_LEAKWATCH_BUSY')
  expect(r.lines.find((l) => l.saved)).toBeDefined()
})

test('a directory that cannot be made gives a coded error and no file', () => {
  const dir = tempDir('prof-bad')
  fs.writeFileSync(path.join(dir, 'plain-file'), 'x')
  const r = run({ OUT: path.join(dir, 'plain-file', 'sub', 'x.heapprofile') })
  expect(r.status).toBe(0)
  expect(r.lines.find((l) => l.error).error).toBe('ERR_LEAKWATCH_DIR_NOT_WRITABLE')
  expect(fs.readdirSync(dir)).toEqual(['plain-file'])
})

test('a failing write leaves neither the file nor its temp file', async () => {
  const dir = tempDir('prof-fail')
  const p = new SamplingProfiler({ samplingIntervalBytes: 65536 }).start()
  const rename = fs.renameSync
  fs.renameSync = () => { throw Object.assign(new Error('no space left'), { code: 'ENOSPC' }) }
  try {
    await expect(p.save(path.join(dir, 'x.heapprofile'))).rejects.toMatchObject({ code: 'ERR_LEAKWATCH_DISK_FULL' })
  } finally {
    fs.renameSync = rename
    p.stop()
  }
  expect(fs.readdirSync(dir)).toEqual([])
})

test('options are validated and profile() needs start()', async () => {
  expect(DEFAULT_SAMPLING_INTERVAL_BYTES).toBe(512 * 1024)
  expect(new SamplingProfiler().options.samplingIntervalBytes).toBe(512 * 1024)
  for (const bad of [{ samplingIntervalBytes: 0 }, { samplingIntervalBytes: 1.5 }, { samplingIntervalBytes: '4k' }, { interval: 4096 }, 'x']) {
    expect(() => new SamplingProfiler(bad)).toThrow(expect.objectContaining({ code: 'ERR_LEAKWATCH_INVALID_OPTION' }))
  }
  const p = new SamplingProfiler()
  expect(p.running).toBe(false)
  await expect(p.profile()).rejects.toMatchObject({ code: 'ERR_LEAKWATCH_PROFILER_UNAVAILABLE' })
  await expect(p.start().save('')).rejects.toMatchObject({ code: 'ERR_LEAKWATCH_INVALID_OPTION' })
  p.stop()
  p.stop()
  expect(p.running).toBe(false)
})

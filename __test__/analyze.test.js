'use strict'
// analyze() and the CLI on real snapshots written by a child node process.
const { spawnSync } = require('child_process')
const fs = require('fs')
const path = require('path')
const { analyze } = require('../lib/analyze')

const { tempDir, threeSnapshots } = require('./helpers')

const CLI = path.join(__dirname, '..', 'bin', 'leakwatch.js')

let leak
let clean

beforeAll(() => {
  leak = threeSnapshots(
    'leak',
    `global.headersArray = []
function work() { for (let i = 0; i < 10000; i++) headersArray.push({ userAgentUsed: 'Mozilla/' + (i % 7) }) }`,
  )
  clean = threeSnapshots(
    'clean',
    `function work() { const tmp = []; for (let i = 0; i < 10000; i++) tmp.push({ userAgentUsed: 'x' + i }); return tmp.length }`,
  )
})

describe('analyze()', () => {
  test('names the planted leak first, with its retaining path', async () => {
    const report = await analyze(leak)
    expect(report.summary.mode).toBe('three-snapshot')
    const top = report.suspects[0]
    expect(top.constructor).toBe('Object')
    expect(top.path).toMatch(/headersArray > \[\d+\] > Object\{userAgentUsed\}$/)
    expect(top.countDelta).toBeGreaterThanOrEqual(19000)
    expect(top.retainedSizeDelta).toBeGreaterThan(256 * 1024)
    expect(report.toString()).toContain('Leak suspects')
    expect(report.toString()).toContain('headersArray')
    expect(top.holder).toMatchObject({ name: 'headersArray', type: 'property', collection: 'Array' })
    expect(top.kind).toBe('unbounded-collection')
    expect(top.advice).toMatch(/^Bound it/)
    expect(top.rawPath).toMatch(/headersArray > \[\d+\] > Object\{userAgentUsed\}$/)
    expect(report.toString()).toContain('held by: property `')
    const json = JSON.parse(JSON.stringify(report))
    expect(json.suspects[0].path).toBe(top.path)
    expect(json.suspects[0].holder.description).toBe(top.holder.description)
  })

  test('a clean control has no suspect; one snapshot lists classes only', async () => {
    const report = await analyze(clean)
    expect(report.suspects).toEqual([])
    const single = await analyze(clean[2])
    expect(single.summary.mode).toBe('single')
    expect(single.suspects).toEqual([])
    expect(single.summary.topClasses.length).toBeGreaterThan(0)
  })

  test('one snapshot lists big groups of alike objects when asked', async () => {
    const report = await analyze(leak[2], { singleSuspects: true })
    expect(report.summary.mode).toBe('single')
    expect(report.suspects[0].path).toMatch(/headersArray > \[\d+\] > Object\{userAgentUsed\}$/)
    expect(report.suspects[0].countDelta).toBe(30000)
    await expect(analyze(leak[2], { singleSuspects: 'yes' })).rejects.toMatchObject({ code: 'ERR_LEAKWATCH_INVALID_OPTION' })
  })

  test('thresholds are options', async () => {
    // 10,000 more objects per step: a suspect by count even under the byte threshold.
    const byCount = await analyze(leak, { minRetainedDelta: 1 << 30 })
    expect(byCount.suspects[0].holder.name).toBe('headersArray')
    const report = await analyze(leak, { minRetainedDelta: 1 << 30, minCountDelta: 0 })
    expect(report.suspects).toEqual([])
    expect(report.summary.belowThreshold).toBeGreaterThan(0)
    await expect(analyze(leak, { minCountDelta: -1 })).rejects.toMatchObject({ code: 'ERR_LEAKWATCH_INVALID_OPTION' })
  })

  test('bad inputs reject with stable codes', async () => {
    const dir = tempDir('bad')
    const empty = path.join(dir, 'empty.heapsnapshot')
    fs.writeFileSync(empty, '')
    const garbage = path.join(dir, 'garbage.heapsnapshot')
    fs.writeFileSync(garbage, 'this is not json')
    const badGzip = path.join(dir, 'bad.heapsnapshot.gz')
    fs.writeFileSync(badGzip, Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))
    const cut = path.join(dir, 'cut.heapsnapshot')
    fs.writeFileSync(cut, fs.readFileSync(leak[0]).subarray(0, 100000))
    await expect(analyze(path.join(dir, 'missing.heapsnapshot'))).rejects.toMatchObject({ code: 'ERR_LEAKWATCH_IO' })
    await expect(analyze(empty)).rejects.toMatchObject({ code: 'ERR_LEAKWATCH_SNAPSHOT_TRUNCATED' })
    await expect(analyze(garbage)).rejects.toMatchObject({ code: 'ERR_LEAKWATCH_SNAPSHOT_PARSE' })
    await expect(analyze(cut)).rejects.toMatchObject({ code: 'ERR_LEAKWATCH_SNAPSHOT_TRUNCATED' })
    const gz = await analyze(badGzip).catch((e) => e)
    expect(['ERR_LEAKWATCH_GZIP', 'ERR_LEAKWATCH_SNAPSHOT_TRUNCATED']).toContain(gz.code)
    await expect(analyze([])).rejects.toMatchObject({ code: 'ERR_LEAKWATCH_INVALID_OPTION' })
    await expect(analyze([leak[0], 3])).rejects.toMatchObject({ code: 'ERR_LEAKWATCH_INVALID_OPTION' })
    await expect(analyze(leak, { maxSuspects: -1 })).rejects.toMatchObject({ code: 'ERR_LEAKWATCH_INVALID_OPTION' })
    await expect(analyze(leak, { minRetainedDelta: 'big' })).rejects.toMatchObject({ code: 'ERR_LEAKWATCH_INVALID_OPTION' })
  })
})

describe('leakwatch analyze (CLI)', () => {
  test('prints JSON and writes a 0600 HTML report', () => {
    const html = path.join(tempDir('cli'), 'report.html')
    const r = spawnSync(process.execPath, [CLI, 'analyze', ...leak, '--json', '--html', html], { encoding: 'utf8' })
    expect(r.status).toBe(0)
    const report = JSON.parse(r.stdout)
    expect(report.suspects[0].path).toContain('headersArray')
    expect(fs.statSync(html).mode & 0o777).toBe(0o600)
    expect(fs.readFileSync(html, 'utf8')).toContain('Object{userAgentUsed}')
  })

  test('prints text, and fails with a code on bad input or usage', () => {
    const ok = spawnSync(process.execPath, [CLI, 'analyze', clean[2]], { encoding: 'utf8' })
    expect(ok.status).toBe(0)
    expect(ok.stdout).toContain('Largest classes')
    const bad = spawnSync(process.execPath, [CLI, 'analyze', '/nonexistent/x.heapsnapshot'], { encoding: 'utf8' })
    expect(bad.status).toBe(1)
    expect(bad.stderr).toContain('ERR_LEAKWATCH_IO')
    const usage = spawnSync(process.execPath, [CLI, 'frobnicate'], { encoding: 'utf8' })
    expect(usage.status).toBe(2)
    expect(usage.stderr).toContain('usage: leakwatch analyze')
  })

  test('diff is analyze with at least two snapshots', () => {
    const diff = spawnSync(process.execPath, [CLI, 'diff', leak[0], leak[2], '--json'], { encoding: 'utf8' })
    expect(diff.status).toBe(0)
    const report = JSON.parse(diff.stdout)
    expect(report.summary.mode).toBe('growth')
    expect(report.suspects[0].path).toContain('headersArray')
    const one = spawnSync(process.execPath, [CLI, 'diff', leak[0]], { encoding: 'utf8' })
    expect(one.status).toBe(2)
    expect(one.stderr).toContain('diff needs at least two snapshots')
  })

  test('report renders a saved --json report as the same text, JSON and HTML', () => {
    const dir = tempDir('report')
    const saved = path.join(dir, 'saved.json')
    const json = spawnSync(process.execPath, [CLI, 'analyze', ...leak, '--json'], { encoding: 'utf8' })
    fs.writeFileSync(saved, json.stdout)
    const text = spawnSync(process.execPath, [CLI, 'analyze', ...leak], { encoding: 'utf8' }).stdout
    const again = spawnSync(process.execPath, [CLI, 'report', saved], { encoding: 'utf8' })
    expect(again.status).toBe(0)
    expect(again.stdout).toBe(text)
    const html = path.join(dir, 'again.html')
    const asJson = spawnSync(process.execPath, [CLI, 'report', saved, '--json', '--html', html], { encoding: 'utf8' })
    expect(JSON.parse(asJson.stdout)).toEqual(JSON.parse(json.stdout))
    expect(fs.readFileSync(html, 'utf8')).toContain('id="growth-chart"')
    fs.writeFileSync(path.join(dir, 'bad.json'), '{"suspects": 3}')
    const bad = spawnSync(process.execPath, [CLI, 'report', path.join(dir, 'bad.json')], { encoding: 'utf8' })
    expect(bad.status).toBe(1)
    expect(bad.stderr).toContain('ERR_LEAKWATCH_INVALID_OPTION')
  })
})

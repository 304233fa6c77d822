'use strict'
// Redaction as users run it: snapshot({ redact }), onSignal, the Express
// router and the CLI, checked on the gunzipped files for planted secrets.
const fs = require('fs')
const path = require('path')
const zlib = require('zlib')
const { spawnSync } = require('child_process')
const leakwatch = require('..')
const { Host, tempDir, listDir, readSnapshot, threeSnapshots } = require('./helpers')

const TOKEN = 'redact-token-0123456789abcdef'
const HOST = path.join(__dirname, 'fixtures', 'redact-host.js')
const CLI = path.join(__dirname, '..', 'bin', 'leakwatch.js')
const REDACTED_NAME = /redacted\.heapsnapshot\.gz$/

function text(file) {
  return zlib.gunzipSync(fs.readFileSync(file)).toString('utf8')
}

/** Fails unless `file` is a valid redacted snapshot with none of `forbidden` in it. */
function expectRedacted(file, forbidden) {
  const body = text(file)
  for (const secret of forbidden) expect(body.includes(secret)).toBe(false)
  const snap = readSnapshot(file)
  expect(snap.snapshot.leakwatch_redaction.version).toBe(1)
  expect(snap.strings.filter((s) => /^<redacted \d+>$/.test(s)).length).toBeGreaterThan(100)
  // Property names, constructor names and variable names stay.
  for (const name of ['authorization', 'cookie', 'headers', 'Map', 'secret', 'held', 'request']) {
    expect(snap.strings).toContain(name)
  }
  expect(fs.statSync(file).mode & 0o777).toBe(0o600)
}

describe('redaction of live snapshots', () => {
  let host
  let dir
  let ready
  beforeAll(async () => {
    dir = tempDir('redact')
    host = new Host(HOST, { LEAKWATCH_DIR: dir, LW_TOKEN: TOKEN, ROUTER_MODE: 'inline' })
    ready = await host.waitFor((e) => e.event === 'ready')
  })
  afterAll(() => host.stop())

  async function snapshot(opts) {
    const from = host.events.length
    host.send({ op: 'snapshot', opts: { dir, ...opts } })
    return host.waitFor((e) => e.event === 'snapshot-result' || e.event === 'snapshot-error', 120000, from)
  }

  test('without redaction the planted secrets are in the file (the check can fail)', async () => {
    const { info } = await snapshot({ mode: 'inline' })
    const body = text(info.path)
    for (const secret of ready.forbidden) expect(body.includes(secret)).toBe(true)
    expect(info.redacted).toBeUndefined()
    fs.unlinkSync(info.path)
  })

  test.each(['inline', 'fork'])('%s snapshot({ redact: true }) holds none of them', async (mode) => {
    const { info } = await snapshot({ mode, redact: true, label: 'r1' })
    expect(info).toMatchObject({ mode, redacted: true })
    expect(path.basename(info.path)).toMatch(/-r1_redacted\.heapsnapshot\.gz$/)
    expectRedacted(info.path, ready.forbidden)
    fs.unlinkSync(info.path)
  })

  test('onSignal({ redact: true }) writes a redacted file', async () => {
    const from = host.events.length
    host.signal('SIGUSR2')
    const { info } = await host.waitFor((e) => e.event === 'snapshot', 120000, from)
    expect(path.basename(info.path)).toMatch(REDACTED_NAME)
    expectRedacted(info.path, ready.forbidden)
    fs.unlinkSync(info.path)
  })

  test('the router redacts on ?redact=1 and serves the redacted download', async () => {
    const res = await fetch(`http://127.0.0.1:${ready.port}/leakwatch/snapshot?redact=1&download=1`, {
      method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` },
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-disposition')).toMatch(/redacted\.heapsnapshot\.gz"$/)
    const file = path.join(tempDir('redact-dl'), 'download.gz')
    fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()), { mode: 0o600 })
    expectRedacted(file, ready.forbidden)
    for (const f of listDir(dir)) fs.unlinkSync(path.join(dir, f))
  })

  test('a malformed stream fails with ERR_LEAKWATCH_REDACT_FAILED and leaves no file', async () => {
    const from = host.events.length
    const before = listDir(dir)
    host.send({ op: 'garbage-once' })
    await host.waitFor((e) => e.event === 'armed', 10000, from)
    const r = await snapshot({ mode: 'inline', redact: true })
    expect(r).toMatchObject({ event: 'snapshot-error', code: 'ERR_LEAKWATCH_REDACT_FAILED' })
    expect(listDir(dir)).toEqual(before)
  })
})

describe('a router that forces redaction', () => {
  test('redacts without asking and refuses ?redact=0', async () => {
    const dir = tempDir('redact-forced')
    const host = new Host(HOST, { LEAKWATCH_DIR: dir, LW_TOKEN: TOKEN, ROUTER_REDACT: '1', ROUTER_MODE: 'fork' })
    try {
      const ready = await host.waitFor((e) => e.event === 'ready')
      const url = `http://127.0.0.1:${ready.port}/leakwatch/snapshot`
      const headers = { Authorization: `Bearer ${TOKEN}` }
      const refused = await fetch(`${url}?redact=0`, { method: 'POST', headers })
      expect(refused.status).toBe(400)
      expect((await refused.json()).error.code).toBe('ERR_LEAKWATCH_INVALID_OPTION')
      const res = await fetch(url, { method: 'POST', headers })
      expect(res.status).toBe(201)
      const info = await res.json()
      expect(info).toMatchObject({ redacted: true, mode: 'fork' })
      expectRedacted(info.path, ready.forbidden)
    } finally {
      await host.stop()
    }
  })

  test('router and snapshot options are validated', () => {
    expect(() => leakwatch.express({ token: TOKEN, redact: 'yes' })).toThrow(expect.objectContaining({ code: 'ERR_LEAKWATCH_INVALID_OPTION' }))
    return expect(leakwatch.snapshot({ redact: 1 })).rejects.toMatchObject({ code: 'ERR_LEAKWATCH_INVALID_OPTION', message: expect.stringMatching(/redact/) })
  })
})

describe('leakwatch redact (CLI)', () => {
  const SECRET = 'cli-secret-8f3a9c21'
  let raw
  beforeAll(() => {
    // The secret is built at run time so it is in no script source.
    raw = threeSnapshots('redact-cli', `global.sessions = []
const part = ${JSON.stringify(SECRET.slice(0, 4))}
class Session { constructor(i) { this.token = part + ${JSON.stringify(SECRET.slice(4))}.toUpperCase().toLowerCase() + ':' + i } }
function work() { for (let i = 0; i < 5000; i++) sessions.push(new Session(i)) }`)
  })

  function cli(...args) {
    return spawnSync(process.execPath, [CLI, 'redact', ...args], { encoding: 'utf8' })
  }

  test('writes redacted copies on which the analyzer names the same suspects', async () => {
    const out = tempDir('redact-cli-out')
    const redacted = raw.map((file, i) => {
      const target = path.join(out, `r${i}.heapsnapshot.gz`)
      const r = cli(file, target)
      expect(r.stderr).toBe('')
      expect(r.status).toBe(0)
      expect(fs.statSync(target).mode & 0o777).toBe(0o600)
      return target
    })
    // V8 keeps the concatenated token as parts; the lower-cased part is flat.
    expect(fs.readFileSync(raw[2], 'utf8')).toContain(SECRET.slice(4))
    for (const f of redacted) expect(text(f)).not.toContain(SECRET.slice(-8))
    const [a, b] = await Promise.all([leakwatch.analyze(raw), leakwatch.analyze(redacted)])
    expect(a.suspects.length).toBeGreaterThan(0)
    expect(a.suspects[0].constructor).toBe('Session')
    expect(b.suspects).toEqual(a.suspects)
    // A redacted file redacts to itself.
    const again = path.join(out, 'again.gz')
    expect(cli(redacted[0], again).status).toBe(0)
    expect(text(again)).toBe(text(redacted[0]))
  })

  test('a truncated input says so and writes nothing; the input is never overwritten', () => {
    const dir = tempDir('redact-cli-bad')
    const cut = path.join(dir, 'cut.heapsnapshot')
    fs.writeFileSync(cut, fs.readFileSync(raw[0]).subarray(0, 100000))
    const target = path.join(dir, 'out', 'x.gz')
    const r = cli(cut, target)
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/ERR_LEAKWATCH_SNAPSHOT_TRUNCATED/)
    expect(listDir(path.join(dir, 'out'))).toEqual([])
    const before = fs.readFileSync(cut)
    const same = cli(cut, path.join(dir, '.', 'cut.heapsnapshot'))
    expect(same.status).toBe(1)
    expect(same.stderr).toMatch(/ERR_LEAKWATCH_INVALID_OPTION: refusing to overwrite the input/)
    expect(fs.readFileSync(cut).equals(before)).toBe(true)
    expect(cli(cut).status).toBe(2)
    // A sampling heap profile is named as one, not as a cut snapshot.
    const profile = path.join(dir, 'p.heapprofile')
    fs.writeFileSync(profile, '{"head":{"callFrame":{}')
    const r2 = cli(profile, path.join(dir, 'out', 'p.gz'))
    expect(r2.status).toBe(1)
    expect(r2.stderr).toMatch(/ERR_LEAKWATCH_INVALID_OPTION: .*is a sampling heap profile, not a snapshot/)
    expect(listDir(path.join(dir, 'out'))).toEqual([])
  })
})

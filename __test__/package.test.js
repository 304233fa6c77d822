'use strict'
// `npm pack` makes a tarball that installs into a fresh Express project, both
// with the shipped binary and built from source when no prebuilt binary
// matches, and `require('leakwatch').onSignal('SIGUSR2')` works there.
const { execFileSync } = require('child_process')
const fs = require('fs')
const path = require('path')
const { Host, tempDir, readSnapshot } = require('./helpers')

const ROOT = path.join(__dirname, '..')

function npm(args, cwd, env = {}) {
  return execFileSync('npm', args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }).toString()
}

const APP = `
const express = require('express')
const leakwatch = require('leakwatch')
leakwatch.onSignal('SIGUSR2', { dir: process.env.SNAP_DIR })
leakwatch.events.on('snapshot', (info) => console.log(JSON.stringify({ event: 'snapshot', info })))
leakwatch.events.on('error', (err) => console.log(JSON.stringify({ event: 'error', code: err.code })))
const app = express()
app.get('/', (req, res) => res.send('ok'))
const server = app.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ event: 'ready' })))
process.stdin.on('data', () => server.close(() => process.exit(0)))
`

let tarball
beforeAll(() => {
  const out = tempDir('pack')
  const name = npm(['pack', '--ignore-scripts', '--pack-destination', out], ROOT).trim().split('\n').pop()
  tarball = path.join(out, name)
})

/** The same tarball without the prebuilt binary: a platform nothing was built for. */
function sourceOnlyTarball() {
  const work = tempDir('repack')
  execFileSync('tar', ['xzf', tarball, '-C', work])
  for (const f of fs.readdirSync(path.join(work, 'package'))) {
    if (f.endsWith('.node')) fs.rmSync(path.join(work, 'package', f))
  }
  const out = path.join(work, 'leakwatch-source.tgz')
  execFileSync('tar', ['czf', out, '-C', work, 'package'])
  return out
}

async function installAndSnapshot(tgz, env) {
  const project = tempDir('consumer')
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }))
  npm(['install', '--no-audit', '--no-fund', '--prefer-offline', tgz, 'express'], project, env)
  fs.writeFileSync(path.join(project, 'app.js'), APP)
  const snapDir = tempDir('consumer-snaps')
  const app = new Host(path.join(project, 'app.js'), { SNAP_DIR: snapDir })
  try {
    await app.waitFor((e) => e.event === 'ready')
    app.signal('SIGUSR2')
    const ev = await app.waitFor((e) => e.event === 'snapshot' || e.event === 'error')
    expect(ev.event).toBe('snapshot')
    readSnapshot(ev.info.path)
  } finally {
    app.proc.stdin.write('x')
    await app.exited
  }
  return project
}

test('the tarball ships sources, types and a binary, and no tests or benchmarks', () => {
  const list = execFileSync('tar', ['tzf', tarball]).toString().split('\n')
  expect(list).toEqual(expect.arrayContaining(['package/index.js', 'package/index.d.ts', 'package/binding.js', 'package/Cargo.toml', 'package/Cargo.lock', 'package/src/lib.rs', 'package/scripts/install.js']))
  expect(list.some((f) => f.endsWith('.node'))).toBe(true)
  expect(list.filter((f) => /__test__|bench\/|\.ci\//.test(f))).toEqual([])
  // Test sources need their testdata, which is not shipped either (issue 13).
  expect(list.filter((f) => /(_tests|\/tests)\.rs$|testdata/.test(f))).toEqual([])
  expect(list).toContain('package/LICENSE')
  expect(fs.readFileSync(path.join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License/)
  // The README's links into docs/ must work in the installed package too.
  const linked = [...fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').matchAll(/\]\(((?:docs|lib|bin)\/[^)#\s]+)/g)].map((m) => m[1])
  expect(linked.length).toBeGreaterThan(0)
  expect(linked.filter((f) => !list.includes(`package/${f}`))).toEqual([])
})

test('the shipped binary is stripped', () => {
  const work = tempDir('unpack')
  execFileSync('tar', ['xzf', tarball, '-C', work])
  const bin = fs.readdirSync(path.join(work, 'package')).find((f) => f.endsWith('.node'))
  // A symbol table leaves its section name in the section header strings.
  expect(fs.readFileSync(path.join(work, 'package', bin)).includes('.symtab\0')).toBe(false)
})

test('installs into a fresh Express project with the shipped binary', async () => {
  const project = await installAndSnapshot(tarball, {})
  expect(fs.readdirSync(path.join(project, 'node_modules', 'leakwatch'))).not.toContain('target')
})

test('builds from source where no prebuilt binary matches', async () => {
  // A target dir of its own, kept between runs, so only the first run pays for dependencies.
  const project = await installAndSnapshot(sourceOnlyTarball(), { CARGO_TARGET_DIR: path.join(ROOT, 'target', 'consumer') })
  expect(fs.existsSync(path.join(project, 'node_modules', 'leakwatch', 'leakwatch.linux-x64-gnu.node'))).toBe(true)
}, 600000)

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

// Paths in the README that are not the repository's: a user's test file in
// the toLeak example output.
const EXAMPLE_PATHS = ['__test__/handler.test.js']

/** `a/*.json` as a RegExp over whole paths; `*` stays within one segment. */
function globRegExp(glob) {
  const body = glob.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')
  return new RegExp(`^${body}${glob.endsWith('/') ? '' : '(/|$)'}`)
}

/** Every file of the checkout under `dir` (relative), without what git ignores at the top. */
function repoFiles(dir = '') {
  const out = []
  for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = dir ? `${dir}/${e.name}` : e.name
    if (!dir && (e.name.startsWith('.') || e.name === 'node_modules' || e.name === 'target')) continue
    if (e.isDirectory()) out.push(...repoFiles(rel))
    else out.push(rel)
  }
  return out
}

/**
 * Each mention of a repository path in a Markdown file (`bench/results/*.json`,
 * docs/x.md, `package.json`, ...) with whether its paragraph, the opening
 * paragraph of its `##` section, or the opening paragraph of the document
 * (after its `#` title) says it is in the source repository.
 */
function pathMentions(text, topLevel) {
  const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const dirs = topLevel.filter((t) => t.dir).map((t) => esc(t.name)).join('|')
  const files = topLevel.filter((t) => !t.dir).map((t) => esc(t.name)).join('|')
  const re = new RegExp(`(?<![\\w/.:@-])((?:${dirs})/(?:[\\w./*-]*[\\w/*])?|(?:${files})(?![\\w-]|\\.\\w))`, 'g')
  const marked = (p) => /source\s+repository/i.test(p)
  const mentions = []
  let sectionMarked = false
  let documentMarked = false
  let intro = false
  let documentIntro = false
  let fence = false
  let para = []
  const flush = () => {
    const p = para.join('\n')
    para = []
    if (!p) return
    if (/^# /.test(p)) {
      documentIntro = true
      return
    }
    if (/^## /.test(p)) {
      sectionMarked = false
      intro = true
      documentIntro = false
      return
    }
    if (documentIntro && !/^#/.test(p)) {
      documentMarked = marked(p)
      documentIntro = false
    }
    if (intro && !/^#/.test(p)) {
      sectionMarked = marked(p)
      intro = false
    }
    const repositoryOnly = documentMarked || sectionMarked || marked(p)
    for (const m of p.matchAll(re)) mentions.push({ path: m[1], repositoryOnly, paragraph: p.slice(0, 80) })
  }
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) fence = !fence
    if (!fence && line.trim() === '') flush()
    else if (!fence && /^#+ /.test(line)) {
      flush()
      para.push(line)
      flush()
    } else para.push(line)
  }
  flush()
  return mentions
}

test('every repository path the README and docs/ mention ships, or is said to be in the source repository only', () => {
  const shipped = execFileSync('tar', ['tzf', tarball]).toString().split('\n')
    .filter((f) => f.startsWith('package/') && !f.endsWith('/')).map((f) => f.slice('package/'.length))
  const inRepo = repoFiles()
  const topLevel = fs.readdirSync(ROOT, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.') && e.name !== 'node_modules' && e.name !== 'target')
    .map((e) => ({ name: e.name, dir: e.isDirectory() }))
  const docs = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)]
  const mentions = docs.flatMap((doc) => pathMentions(fs.readFileSync(path.join(ROOT, doc), 'utf8'), topLevel)
    .map((m) => ({ ...m, paragraph: `${doc}: ${m.paragraph}` })))
    .filter((m) => !EXAMPLE_PATHS.includes(m.path))
  // The pointers this test was written for are still seen.
  expect(mentions.map((m) => m.path)).toEqual(expect.arrayContaining(['bench/culprit/cases/', 'bench/results/assert.json', 'docs/benchmarks.md']))
  const matches = (list, p) => list.some((f) => globRegExp(p).test(f))
  // A mention of nothing at all is a dangling pointer too.
  expect(mentions.filter((m) => !matches(inRepo, m.path)).map((m) => m.path)).toEqual([])
  const dangling = mentions.filter((m) => !m.repositoryOnly && !matches(shipped, m.path))
  expect(dangling.map((m) => `${m.path} (in "${m.paragraph}...")`)).toEqual([])
})

test('the path check catches an unmarked pointer at an unshipped file', () => {
  const topLevel = [{ name: 'bench', dir: true }, { name: 'docs', dir: true }, { name: 'package.json', dir: false }]
  const text = [
    '## Use', '', 'Figures in `bench/results/x.json` and docs/a.md.', '',
    'The corpus (`bench/culprit/cases/` in the source', 'repository).', '',
    '## Development', '', 'This section is for a checkout of the source repository.', '',
    '```', 'bench/   benchmarks', '```', '', 'See package.json.',
  ].join('\n')
  expect(pathMentions(text, topLevel).map((m) => [m.path, m.repositoryOnly])).toEqual([
    ['bench/results/x.json', false], ['docs/a.md', false], ['bench/culprit/cases/', true],
    ['bench/', true], ['package.json', true],
  ])
  // A document whose opening paragraph says so marks every mention in it.
  const doc = ['# Internals', '', 'Files under bench/ are in the source repository.', '', '## Figures', '', 'See `bench/results/x.json`.'].join('\n')
  expect(pathMentions(doc, topLevel).map((m) => [m.path, m.repositoryOnly])).toEqual([['bench/', true], ['bench/results/x.json', true]])
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

'use strict'
// Allocation sites end to end: a real process leaks under V8's sampling heap
// profiler, snapshots and the .heapprofile beside them are analysed, and the
// allocating function is reported at its original source position: a
// TypeScript line, a bundle's source file, or (with --enable-source-maps) the
// process's own maps.
const fs = require('fs')
const os = require('os')
const path = require('path')
const { execFileSync } = require('child_process')
const { analyze, allocationSites } = require('../lib/analyze')

const ROOT = path.resolve(__dirname, '..')
const FIXTURE = path.join(__dirname, 'fixtures', 'profile-leak.js')
let tmp
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-alloc-'))
})
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }))

function runLeak(modulePath, fn, { env = {}, flags = [] } = {}) {
  const dir = fs.mkdtempSync(path.join(tmp, 'snaps-'))
  const out = execFileSync(process.execPath, [...flags, FIXTURE, modulePath, fn, dir], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60000,
  })
  return JSON.parse(out.trim().split('\n').pop())
}

// The leak, line 6 of the TypeScript source (the function starts there), and
// a closure per call defined on line 8 (a suspect's \`location\`).
const TS_SOURCE = `interface Entry { id: number; label: string; tags: string[] }

const retained: Entry[] = []
const hooks: Array<() => string> = []

export function remember(id: number): void {
  retained.push({ id, label: 'entry-' + id, tags: [String(id), 'x'] })
  hooks.push(() => 'hook-' + id)
}
`

/** Compiles TS_SOURCE once (either test that needs it may run alone); returns its src dir. */
function compiledTs() {
  const src = path.join(tmp, 'ts', 'src')
  if (fs.existsSync(path.join(tmp, 'ts', 'dist', 'store.js'))) return src
  fs.mkdirSync(src, { recursive: true })
  fs.writeFileSync(path.join(src, 'store.ts'), TS_SOURCE)
  execFileSync(path.join(ROOT, 'node_modules', '.bin', 'tsc'), [
    '--sourceMap', '--target', 'es2019', '--module', 'commonjs', '--outDir', path.join(tmp, 'ts', 'dist'),
    path.join(src, 'store.ts'),
  ], { stdio: 'pipe' })
  return src
}

test('a TypeScript-compiled leak is reported at its .ts line', () => {
  const src = compiledTs()
  const run = runLeak(path.join(tmp, 'ts', 'dist', 'store.js'), 'remember')
  return analyze(run.snapshots).then((report) => {
    const site = report.summary.allocationSites[0]
    expect(site.functionName).toBe('remember')
    expect(site.url).toBe(path.join(src, 'store.ts'))
    expect(site.line + 1).toBe(6)
    expect(site.generated.url).toBe(path.join(tmp, 'ts', 'dist', 'store.js'))
    const top = report.suspects[0]
    expect(top.allocation.functionName).toBe('remember')
    expect(top.allocation.url).toBe(path.join(src, 'store.ts'))
    expect(String(report)).toContain(`allocated by: remember (${path.join(src, 'store.ts')}:6:`)
    // The closure's location comes from the snapshot, not the profile: mapped
    // too, in the JSON and in the text, V8's own kept in \`generated\`.
    const closures = report.suspects.find((s) => s.holder.name === 'hooks')
    expect(closures.location.scriptName).toBe(path.join(src, 'store.ts'))
    expect(closures.location.line + 1).toBe(8)
    expect(closures.location.generated.scriptName).toBe(path.join(tmp, 'ts', 'dist', 'store.js'))
    expect(String(report)).toMatch(new RegExp(`defined at: ${escape(path.join(src, 'store.ts'))}:8:\\d+`))
    expect(String(report)).not.toContain('store.js:')
  })
})

test('String(allocationSites(...)) is the text report\'s allocation-sites lines', async () => {
  const src = compiledTs()
  const run = runLeak(path.join(tmp, 'ts', 'dist', 'store.js'), 'remember')
  const sites = await allocationSites([run.profile])
  const text = String(sites)
  expect(text).not.toContain('[object Object]')
  expect(text.split('\n')[0]).toBe('Allocation sites by growth of live sampled bytes (sampling heap profile):')
  // Mapped before rendering, one-based like the report.
  expect(text).toContain(`remember (${path.join(src, 'store.ts')}:6:`)
  expect(text.trimEnd().split('\n')).toHaveLength(sites.length + 1)
  // The same lines as the report of the same profile: one renderer.
  const report = await analyze(run.snapshots)
  expect(String(report)).toContain(text)
  // The array itself is unchanged: no extra enumerable key, same JSON.
  expect(Object.keys(sites)).toEqual(sites.map((_, i) => String(i)))
  expect(JSON.parse(JSON.stringify(sites))).toEqual(sites)
})

test('a bundle is reported at its source file; without maps, at the bundle', async () => {
  const src = path.join(tmp, 'bundle', 'src')
  fs.mkdirSync(src, { recursive: true })
  fs.writeFileSync(path.join(src, 'cache.js'), [
    "'use strict'",
    'const entries = new Map()',
    'const onEvict = []',
    'function warm(key) {',
    "  entries.set(key, { key, body: 'cached-' + key, at: [key, key + 1] })",
    "  onEvict.push(() => 'evicted-' + key)",
    '}',
    'module.exports = { warm }',
    '',
  ].join('\n'))
  fs.writeFileSync(path.join(src, 'main.js'), "const { warm } = require('./cache')\nexports.handle = (i) => warm(i)\n")
  const outfile = path.join(tmp, 'bundle', 'dist', 'app.js')
  require('esbuild').buildSync({ entryPoints: [path.join(src, 'main.js')], bundle: true, platform: 'node', format: 'cjs', sourcemap: true, outfile, logLevel: 'silent' })
  const run = runLeak(outfile, 'handle')
  // The closure made per call (line 6 of cache.js) is a suspect's location:
  // mapped from the bundle to its source file, in the JSON and the text.
  const report = await analyze(run.snapshots)
  const closures = report.suspects.find((s) => s.holder.name === 'onEvict')
  expect(closures.location).toMatchObject({ scriptName: path.join(src, 'cache.js'), line: 5 })
  expect(closures.location.generated.scriptName).toBe(outfile)
  expect(String(report)).toMatch(new RegExp(`defined at: ${escape(path.join(src, 'cache.js'))}:6:\\d+`))
  // The Map's suspect is held through \`warm\`'s scope: named as the source names it.
  const map = report.suspects.find((s) => s.holder.name === 'entries')
  expect(map.holder.function).toBe('warm')
  expect(map.location.generated.function).toBe('warm2')
  expect(String(report)).toMatch(new RegExp(`closure \`warm\` defined at: ${escape(path.join(src, 'cache.js'))}:4:`))
  const sites = await allocationSites([run.profile])
  const warm = sites.find((s) => s.functionName === 'warm')
  expect(warm).toBeDefined()
  expect(warm.url).toBe(path.join(src, 'cache.js'))
  expect(warm.line + 1).toBe(4)
  expect(warm.generated.functionName).toBe('warm2') // esbuild renamed it; the map's source names it again
  fs.rmSync(`${outfile}.map`)
  const raw = (await allocationSites([run.profile])).find((s) => s.functionName === 'warm2')
  expect(raw.url).toBe(outfile)
  expect(raw.generated).toBeUndefined()
})

test('with --enable-source-maps the process maps with its own loaded maps', () => {
  compiledTs()
  const dist = path.join(tmp, 'ts', 'dist')
  const copy = path.join(tmp, 'ts', 'live')
  fs.mkdirSync(copy, { recursive: true })
  for (const f of ['store.js', 'store.js.map']) fs.copyFileSync(path.join(dist, f), path.join(copy, f))
  // The map is deleted after the module loaded: only the process's copy is left.
  const run = runLeak(path.join(copy, 'store.js'), 'remember', {
    flags: ['--enable-source-maps'],
    env: { IN_PROCESS: '1', REMOVE_MAPS: path.join(copy, 'store.js.map') },
  })
  const site = run.sites.find((s) => s.functionName === 'remember')
  expect(site.url).toMatch(/store\.ts$/)
  expect(site.line + 1).toBe(6)
})

test('a profile that is not one is a coded error, and profiles: false skips it', async () => {
  const run = runLeak(path.join(tmp, 'ts', 'dist', 'store.js'), 'remember')
  fs.writeFileSync(run.profile, '{"head": {"callFrame": ')
  await expect(analyze(run.snapshots)).rejects.toMatchObject({ code: 'ERR_LEAKWATCH_PROFILE_INVALID' })
  const report = await analyze(run.snapshots, { profiles: false })
  expect(report.summary.allocationSites).toEqual([])
  await expect(analyze(run.snapshots, { profiles: 'x' })).rejects.toMatchObject({ code: 'ERR_LEAKWATCH_INVALID_OPTION' })
})

test('a helper that its handler inlined is named, not the handler', async () => {
  // The handler is optimized with the helper inlined after the helper ran on
  // its own; from then on V8 charges the helper's allocations to the handler.
  const dir = fs.mkdtempSync(path.join(tmp, 'inlined-'))
  const out = execFileSync(process.execPath, ['--allow-natives-syntax', path.join(__dirname, 'fixtures', 'inlined-helper.js'), dir], { encoding: 'utf8', timeout: 60000 })
  const run = JSON.parse(out.trim().split('\n').pop())
  expect(run.handlerOptimized).toBe(true)
  // The raw profile charges the handler: what the rule has to undo.
  const last = JSON.parse(fs.readFileSync(run.last, 'utf8'))
  let handlerSelf = 0
  const walk = (n) => { if (n.callFrame.functionName === 'handler') handlerSelf += n.selfSize; n.children.forEach(walk) }
  walk(last.head)
  expect(handlerSelf).toBeGreaterThan(1 << 20)
  const sites = await allocationSites([run.first, run.last])
  expect(sites[0].functionName).toBe('recordRequest')
  expect(sites[0].inlinedInto[0].functionName).toBe('handler')
  expect(sites.find((s) => s.functionName === 'handler')).toBeUndefined()
})

// A closure made per call, too small for the profiler to sample (none runs
// here): the snapshot's scope chain names the function that made it, even
// with a sibling function declared between that function and the closure.
const CLOSURE_SOURCE = `'use strict'
const afterResponseHooks = []
function boot() { return 1 }
function auditMiddleware(req) {
  function describe() { return req.method + ' ' + req.url }
  afterResponseHooks.push(function audit() { return describe() })
}
exports.handle = (i) => auditMiddleware({ method: 'GET', url: '/api/' + i })
exports.boot = boot
`

test('a closure made per call names the function that made it, with no profile', async () => {
  const file = path.join(tmp, 'closures.js')
  fs.writeFileSync(file, CLOSURE_SOURCE)
  const run = runLeak(file, 'handle', { env: { NO_PROFILE: '1' } })
  expect(run.profile).toBeNull()
  const report = await analyze(run.snapshots)
  const top = report.suspects[0]
  expect(top.kind).toBe('closures')
  const made = { functionName: 'auditMiddleware', url: file, line: 3 }
  expect(top.enclosingFunction).toMatchObject(made)
  expect(top.allocation).toMatchObject({ ...made, matchedBy: 'scope', bytes: 0 })
  expect(String(report)).toMatch(/allocated by: auditMiddleware \(.*closures\.js:4:\d+\), made there per call/)
})

test('the creator is named in a module that captures nothing at its top level', async () => {
  // A file that only defines and exports a class: no module scope, so the
  // method's scope sits right under the realm's.
  const file = path.join(tmp, 'registry.js')
  fs.writeFileSync(file, `'use strict'
class Registry {
  constructor() { this.callbacks = [] }
  register(req) {
    const extra = req.body + '!'
    this.callbacks.push(() => req.path.length + extra.length)
  }
}
module.exports = { Registry }
`)
  const driver = path.join(tmp, 'registry-driver.js')
  fs.writeFileSync(driver, `const { Registry } = require('./registry')
const registry = new Registry()
exports.handle = (i) => registry.register({ path: '/p/' + i, body: 'b' + i })
`)
  const run = runLeak(driver, 'handle', { env: { NO_PROFILE: '1' } })
  const report = await analyze(run.snapshots)
  expect(report.suspects[0].enclosingFunction).toMatchObject({ functionName: 'register', url: file, line: 3 })
})

const CLI = path.join(ROOT, 'bin', 'leakwatch.js')
const cli = (...args) => require('child_process').spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60000 })

test('the CLI: profiles alone, --profile, --no-profiles, and the report says which profiles it read', () => {
  const src = compiledTs()
  const run = runLeak(path.join(tmp, 'ts', 'dist', 'store.js'), 'remember')
  const help = cli('--help').stdout
  expect(help).toMatch(/--profile <file>/)
  expect(help).toMatch(/--no-profiles/)
  expect(help).toMatch(/\.heapprofile/)

  // Beside the snapshots: read, and said so in the text and the JSON.
  let r = cli('analyze', ...run.snapshots)
  expect(r.status).toBe(0)
  // Numbered as the snapshot it sits beside (the second: the first has none).
  expect(r.stdout).toContain(`  profile 2: ${run.profile}\n`)
  expect(r.stdout).toContain('allocated by: remember (')
  const json = cli('analyze', ...run.snapshots, '--json').stdout
  expect(JSON.parse(json).summary.profiles)
    .toEqual({ source: 'beside', files: [run.profile], lookedFor: run.snapshots.map((s) => s.replace(/\.heapsnapshot(\.gz)?$/, '.heapprofile')) })
  // A saved report renders the same head again.
  const saved = path.join(tmp, 'saved-report.json')
  fs.writeFileSync(saved, json)
  expect(cli('report', saved).stdout).toBe(r.stdout)

  // --no-profiles: none read, and the text says why there is no "allocated by".
  r = cli('analyze', ...run.snapshots, '--no-profiles')
  expect(r.stdout).toContain('sampling heap profile: not read (profiles: false, --no-profiles)')
  expect(r.stdout).not.toContain('sampled live')

  // --profile: a profile kept elsewhere; the one beside is then not read.
  const elsewhere = path.join(tmp, 'elsewhere.heapprofile')
  fs.copyFileSync(run.profile, elsewhere)
  fs.rmSync(run.profile)
  r = cli('analyze', ...run.snapshots, '--profile', elsewhere, '--json')
  expect(r.status).toBe(0)
  expect(JSON.parse(r.stdout).summary.profiles).toMatchObject({ source: 'given', files: [elsewhere] })
  // None beside: said, with where it was looked for.
  r = cli('analyze', ...run.snapshots)
  expect(r.stdout).toMatch(/sampling heap profile: none beside the snapshots \(looked for [^)]*\.heapprofile\)/)
  // The option's own rule: at most three; and the two flags exclude each other.
  r = cli('analyze', ...run.snapshots, ...[1, 2, 3, 4].flatMap(() => ['--profile', elsewhere]))
  expect(r.status).toBe(1)
  expect(r.stderr).toContain('ERR_LEAKWATCH_INVALID_OPTION: invalid option profiles')
  expect(cli('analyze', ...run.snapshots, '--profile', elsewhere, '--no-profiles').status).toBe(2)

  // Profiles alone: their allocation sites, through allocationSites() and its text.
  r = cli('analyze', elsewhere)
  expect(r.status).toBe(0)
  expect(r.stdout).toContain(`profile 1: ${elsewhere}`)
  expect(r.stdout).toContain('Allocation sites by growth of live sampled bytes')
  expect(r.stdout).toContain(`remember (${path.join(src, 'store.ts')}:6:`)
  const sites = JSON.parse(cli('analyze', elsewhere, '--json').stdout)
  expect(sites[0]).toMatchObject({ functionName: 'remember', url: path.join(src, 'store.ts') })
  // Saved, those sites are not a report: `leakwatch report` says what they are.
  const savedSites = path.join(tmp, 'sites.json')
  fs.writeFileSync(savedSites, JSON.stringify(sites))
  r = cli('report', savedSites)
  expect(r.status).toBe(1)
  expect(r.stderr).toMatch(/ERR_LEAKWATCH_INVALID_OPTION: .*list of allocation sites .*not a saved report/)
  expect(cli('analyze', elsewhere, '--max-suspects', '1').status).toBe(2)
  // A profile where a snapshot goes: what it is and how to give it.
  r = cli('analyze', run.snapshots[0], elsewhere)
  expect(r.status).toBe(1)
  expect(r.stderr).toMatch(/ERR_LEAKWATCH_INVALID_OPTION: .*is a sampling heap profile .*--profile/)
})

'use strict'
// One cgroup reader for the snapshot guard and the watchdog (issue 13): the
// container at 500 of 512 MiB, 400 MiB of it reclaimable page cache, takes its
// snapshot, and the watchdog reads the same working set from the same files.
const { execFileSync } = require('child_process')
const fs = require('fs')
const path = require('path')
const { NODE, tempDir } = require('./helpers')

const MiB = 1024 * 1024

function fakeCgroup(files) {
  const dir = tempDir('cg')
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content)
  return dir
}

function run(env, body) {
  const code = `
    const leakwatch = require(${JSON.stringify(path.join(__dirname, '..'))})
    ;(async () => { ${body} })().then((r) => console.log(JSON.stringify(r)))`
  const out = execFileSync(NODE, ['-e', code], { encoding: 'utf8', timeout: 60000, env: { ...process.env, ...env } })
  return JSON.parse(out.trim().split('\n').pop())
}

const PAGE_CACHE = {
  'memory.max': String(512 * MiB),
  'memory.current': String(500 * MiB),
  'memory.stat': `anon ${90 * MiB}\ninactive_file ${400 * MiB}\n`,
}

test('page cache is not "used": the guard and the watchdog agree, through LEAKWATCH_CGROUP_ROOT', () => {
  const root = fakeCgroup(PAGE_CACHE)
  const dir = tempDir('cg-snap')
  const r = run({ LEAKWATCH_CGROUP_ROOT: root }, `
    const w = leakwatch.watch({ intervalMs: 1000 })
    const s = w.stats()
    w.stop()
    const snap = await leakwatch.snapshot({ dir: ${JSON.stringify(dir)}, mode: 'inline' }).then((i) => i.bytes, (e) => e.code)
    return { limit: s.memoryLimitBytes, usage: s.memoryUsageBytes, snap }`)
  expect(r).toMatchObject({ limit: 512 * MiB, usage: 100 * MiB })
  expect(r.snap).toBeGreaterThan(0)
})

test('the cgroupRoot option reaches the guard: a real shortage is still refused', () => {
  const root = fakeCgroup({ ...PAGE_CACHE, 'memory.stat': `inactive_file ${4 * MiB}\n` })
  const dir = tempDir('cg-refuse')
  const r = run({}, `
    return leakwatch.snapshot({ dir: ${JSON.stringify(dir)}, mode: 'inline', cgroupRoot: ${JSON.stringify(root)} })
      .then(() => ({ code: null }), (e) => ({ code: e.code, message: e.message }))`)
  expect(r.code).toBe('ERR_LEAKWATCH_NO_MEMORY_HEADROOM')
  expect(r.message).toMatch(/16 MiB are available \(cgroup2\)/)
  expect(fs.readdirSync(dir)).toEqual([])
})

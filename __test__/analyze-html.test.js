'use strict'
// The CLI's --html report, rendered by headless Chromium: the page must be
// self-contained and its chart and the suspect's retaining path must survive
// real rendering. Needs the Debian package `chromium` (/usr/bin/chromium); the
// rendering tests skip, saying so, only when that binary is absent.
const { spawnSync } = require('child_process')
const fs = require('fs')
const path = require('path')
const { toHtml } = require('../lib/report-html')

const { tempDir, threeSnapshots } = require('./helpers')

const CLI = path.join(__dirname, '..', 'bin', 'leakwatch.js')
const CHROMIUM = '/usr/bin/chromium'
const HAVE_CHROMIUM = fs.existsSync(CHROMIUM)

if (!HAVE_CHROMIUM) {
  console.warn(`analyze-html: ${CHROMIUM} is absent, skipping the rendering tests (apt-get install -y chromium)`)
}

/** Three snapshots of one process that leaks `Conn` objects into a Map. */
function leakySnapshots() {
  return threeSnapshots('snap', `class Conn { constructor(i) { this.i = i; this.buf = new Array(20).fill(i) } }
global.conns = new Map()
function work() { for (let i = 0; i < 5000; i++) conns.set(conns.size, new Conn(i)) }`)
}

function chromium(args) {
  const profile = tempDir('profile')
  const r = spawnSync(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--user-data-dir=${profile}`,
      '--window-size=1200,900',
      ...args,
    ],
    { encoding: 'utf8', timeout: 90000, maxBuffer: 64 * 1024 * 1024 },
  )
  if (r.error) throw r.error
  return r
}

describe('HTML report', () => {
  let html
  let dir

  beforeAll(() => {
    const files = leakySnapshots()
    dir = tempDir('out')
    html = path.join(dir, 'report.html')
    const r = spawnSync(process.execPath, [CLI, 'analyze', ...files, '--html', html], { encoding: 'utf8' })
    expect(r.status).toBe(0)
  })

  test('every CLI failure on the way out or in has a code: a file where the directory goes, a saved report that is not there', () => {
    const blocker = path.join(dir, 'afile')
    fs.writeFileSync(blocker, '')
    const saved = path.join(dir, 'saved.json')
    let r = spawnSync(process.execPath, [CLI, 'report', path.join(dir, 'missing.json')], { encoding: 'utf8' })
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/^leakwatch: ERR_LEAKWATCH_IO: ENOENT: /)
    const json = spawnSync(process.execPath, [CLI, 'analyze', ...leakySnapshots(), '--json'], { encoding: 'utf8' })
    expect(json.status).toBe(0)
    fs.writeFileSync(saved, json.stdout)
    r = spawnSync(process.execPath, [CLI, 'report', saved, '--html', path.join(blocker, 'r.html')], { encoding: 'utf8' })
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/^leakwatch: ERR_LEAKWATCH_DIR_NOT_WRITABLE: writing the HTML report .*ENOTDIR/)
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([])
  })

  test('is self-contained: no scripts and no external resources', () => {
    const page = fs.readFileSync(html, 'utf8')
    expect(page).toContain('<svg')
    expect(page).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i)
    expect(page).not.toMatch(/\s(src|href)=/i)
    expect(fs.statSync(html).mode & 0o777).toBe(0o600)
  })

  const rendered = HAVE_CHROMIUM ? test : test.skip

  rendered('renders the growth chart bars and the suspect retaining path', () => {
    const r = chromium(['--dump-dom', `file://${html}`])
    expect(r.status).toBe(0)
    const dom = r.stdout
    expect(dom).toMatch(/<svg[^>]*class="chart"/)
    const row = dom.match(/<g class="row" data-constructor="Conn">[\s\S]*?<\/g>/)
    expect(row).not.toBeNull()
    const width = Number(row[0].match(/class="bar bar-retained"[^>]*width="(\d+)"/)[1])
    expect(width).toBeGreaterThan(100)
    expect(row[0]).toContain('class="bar bar-count"')
    // The suspect card names the class and its path from `global` to the Map.
    expect(dom).toMatch(/<h3>1\. Conn<\/h3>/)
    expect(dom).toMatch(/<ol class="path"><li>global<\/li><li>conns<\/li>/)
    expect((dom.match(/class="bar bar-snapshot"/g) || []).length).toBe(3)
  })

  rendered('screenshots to a non-blank PNG', () => {
    const png = path.join(dir, 'report.png')
    const r = chromium([`--screenshot=${png}`, `file://${html}`])
    expect(r.status).toBe(0)
    const buf = fs.readFileSync(png)
    expect(buf.subarray(1, 4).toString()).toBe('PNG')
    // Width and height from the IHDR chunk.
    expect(buf.readUInt32BE(16)).toBe(1200)
    expect(buf.readUInt32BE(20)).toBe(900)
    // A blank page compresses to a few kilobytes; text and bars do not.
    expect(buf.length).toBeGreaterThan(20000)
  })
})

describe('toHtml()', () => {
  const summary = {
    mode: 'single',
    snapshots: [{ file: 'a.heapsnapshot', nodeCount: 3, edgeCount: 2, totalSize: 100 }],
    topClasses: [
      { name: '<script>alert(1)</script>', count: 2, shallowSize: 10, retainedSize: 90 },
      { name: 'Session', count: 1, shallowSize: 5, retainedSize: 30 },
    ],
    survivors: [],
    belowThreshold: 0,
  }

  test('charts the largest classes of a single snapshot and escapes names', () => {
    const page = toHtml({ suspects: [], summary })
    expect(page).toContain('id="classes-chart"')
    expect((page.match(/class="bar bar-retained"/g) || []).length).toBe(2)
    expect(page).not.toContain('<script>')
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
  })

  test("a suspect's closure is shown at its one-based position, as the text report gives it", () => {
    const suspect = {
      constructor: 'audit', countDelta: 10, retainedSizeDelta: 1000, shallowSizeDelta: 100, counts: [1, 11], survivors: null,
      holder: { description: 'variable `hooks`', function: 'audit' }, kind: 'closures', advice: '', path: 'hooks', rawPath: 'hooks',
      location: { scriptId: 7, scriptName: '/srv/app.js', line: 2, column: 4 }, retainedSizes: [1, 2], score: 1, merged: [],
    }
    const page = toHtml({ suspects: [suspect], summary: { ...summary, mode: 'growth' } })
    expect(page).toContain('<code>audit</code> defined at <code>/srv/app.js:3:5</code>')
  })
})

'use strict'

// Maps generated positions (what V8 reports: compiled TypeScript, a bundle,
// a transpiled test file) back to the original sources, with Node's own
// source map parser (`module.SourceMap`); no dependency. Where the running
// process has the map (`--enable-source-maps`, `module.findSourceMap`) it is
// used; otherwise the script's `//# sourceMappingURL=` comment (a data: URL
// or a file beside it) or `<script>.map` is read, which also serves offline
// analysis of saved profiles. Maps are read with a size bound and never throw:
// a position without a usable map stays as V8 wrote it.

const fs = require('fs')
const path = require('path')
const { fileURLToPath } = require('url')
const Module = require('module')

// Bundles of large applications carry maps of tens of MB; past this size the
// read costs more than a report is worth.
const MAX_MAP_BYTES = 64 * 1024 * 1024
// The comment is at the end of the script; reading the tail finds it without
// reading a whole bundle.
const TAIL_BYTES = 64 * 1024
const URL_COMMENT = /\/[*/][#@]\s*sourceMappingURL=([^\s'"*]+)\s*(?:\*\/\s*)?$/

function toPath(url) {
  if (typeof url !== 'string' || url === '' || url.startsWith('node:')) return null
  if (url.startsWith('file://')) {
    try { return fileURLToPath(url) } catch { return null }
  }
  return path.isAbsolute(url) ? url : null
}

function readBounded(file, max) {
  const st = fs.statSync(file)
  if (!st.isFile() || st.size > max) return null
  return fs.readFileSync(file, 'utf8')
}

function tail(file) {
  const fd = fs.openSync(file, 'r')
  try {
    const size = fs.fstatSync(fd).size
    const n = Math.min(size, TAIL_BYTES)
    const buf = Buffer.alloc(n)
    fs.readSync(fd, buf, 0, n, size - n)
    return buf.toString('utf8')
  } finally {
    fs.closeSync(fd)
  }
}

/** `{ payload, dir }` of the map a script names (or `<script>.map`), or null. */
function mapPayloadFor(script) {
  let ref = null
  const lines = tail(script).trimEnd().split('\n')
  for (let i = lines.length - 1; i >= Math.max(0, lines.length - 3); i--) {
    const m = URL_COMMENT.exec(lines[i].trim())
    if (m) { ref = m[1]; break }
  }
  if (ref) return payloadFromRef(ref, script)
  if (!fs.existsSync(`${script}.map`)) return null
  return payloadFromRef(path.basename(`${script}.map`), script)
}

/**
 * The `sourceMappingURL` of every script V8 has compiled, by script path, from
 * the in-process inspector's Debugger domain (enabled for a moment: it replays
 * `scriptParsed` for existing scripts synchronously). This is where code
 * transformed in memory keeps its map: Jest's babel transform, ts-node,
 * @babel/register; the file on disk is the untransformed source. Only the
 * test-time explanation uses it: enabling the debugger is not for production.
 */
function inspectorMapURLs() {
  const found = new Map()
  let session = null
  try {
    const inspector = require('inspector')
    session = new inspector.Session()
    session.connect()
    session.on('Debugger.scriptParsed', ({ params }) => {
      if (!params.sourceMapURL) return
      const script = toPath(params.url) || params.url
      found.set(script, { ref: params.sourceMapURL, script })
    })
    session.post('Debugger.enable', () => {})
    session.post('Debugger.disable', () => {})
  } catch {
    // No inspector, or another debugger owns it: no in-memory maps.
  } finally {
    if (session) try { session.disconnect() } catch { /* already gone */ }
  }
  return found
}

function payloadFromRef(ref, script) {
  if (ref.startsWith('data:')) {
    const comma = ref.indexOf(',')
    if (comma < 0) return null
    const meta = ref.slice(5, comma)
    const body = ref.slice(comma + 1)
    const text = meta.endsWith(';base64') ? Buffer.from(body, 'base64').toString('utf8') : decodeURIComponent(body)
    return { payload: JSON.parse(text), dir: path.dirname(script) }
  }
  const mapFile = ref.startsWith('file://') ? fileURLToPath(ref) : path.resolve(path.dirname(script), ref)
  const text = readBounded(mapFile, MAX_MAP_BYTES)
  return text === null ? null : { payload: JSON.parse(text), dir: path.dirname(mapFile) }
}

/**
 * Loads (and caches per `cache`) the SourceMap of one script, or null. Order:
 * the running process's own map; then, when V8 compiled code transformed in
 * memory (Jest's babel transform: `cache.inspector`), that transform's map,
 * since V8's positions are the transformed code's, not the file's on disk;
 * then the map the file on disk names. `disk: true` skips the in-memory map.
 */
function sourceMapOf(url, cache, { disk = false } = {}) {
  const key = disk ? `disk:${url}` : url
  if (cache.has(key)) return cache.get(key)
  let entry = null
  try {
    const live = typeof Module.findSourceMap === 'function' ? Module.findSourceMap(url) : undefined
    if (live) entry = { map: live, dir: null }
    const inMemory = !entry && !disk && cache.inspector && cache.inspector.get(toPath(url) || url)
    let found = inMemory ? payloadFromRef(inMemory.ref, inMemory.script) : null
    const script = entry || found ? null : toPath(url)
    if (script) found = mapPayloadFor(script)
    if (found) entry = { map: new Module.SourceMap(found.payload), dir: found.dir, root: found.payload.sourceRoot || '', inMemory: Boolean(inMemory) }
  } catch {
    entry = null
  }
  cache.set(key, entry)
  return entry
}

function originalFile(source, entry) {
  if (source.startsWith('file://')) {
    try { return fileURLToPath(source) } catch { return source }
  }
  if (/^[a-z]+:/i.test(source) || path.isAbsolute(source) || !entry.dir) return source
  return path.resolve(entry.dir, entry.root, source)
}

/**
 * The original position of a zero-based generated position, or null.
 * @param {string} url script path or file: URL, as V8 reports it
 * @param {number} line zero-based
 * @param {number} column zero-based
 * @param {Map} [cache] reuse across calls of one report
 * @returns {{ url: string, line: number, column: number } | null} zero-based
 */
function originalPosition(url, line, column, cache = new Map()) {
  const first = mapOnce(url, line, column, cache, {})
  if (!first) return null
  const { position } = first
  // A transform in memory maps back to the file on disk, which can be
  // compiled output with a map of its own (tsc, then babel-jest): one more step.
  if (first.inMemory && position.url === (toPath(url) || url)) {
    const onDisk = mapOnce(position.url, position.line, position.column, cache, { disk: true })
    if (onDisk) return onDisk.position
  }
  return position
}

/** One step through the map `sourceMapOf` picks: `{ position, inMemory }`, or null. */
function mapOnce(url, line, column, cache, how) {
  if (!(line >= 0 && column >= 0)) return null
  const entry = sourceMapOf(url, cache, how)
  if (!entry) return null
  let hit
  try {
    hit = entry.map.findEntry(line, column)
  } catch {
    return null
  }
  if (!hit || typeof hit.originalSource !== 'string') return null
  const position = { url: originalFile(hit.originalSource, entry), line: hit.originalLine, column: hit.originalColumn }
  return { position, inMemory: entry.inMemory }
}

const IDENTIFIER_BEFORE = /([A-Za-z_$][\w$]*)\s*$/
const IDENTIFIER_AT = /^([A-Za-z_$][\w$]*)\s*\(/
const MAX_SOURCE_BYTES = 8 * 1024 * 1024

/** The source's line `line` (zero-based), read once per file, or null. */
function sourceLine(file, line, cache) {
  const key = `source:${file}`
  if (!cache.has(key)) {
    let lines = null
    try {
      const text = readBounded(file, MAX_SOURCE_BYTES)
      if (text !== null) lines = text.split('\n')
    } catch { /* a source the map names but the disk does not have */ }
    cache.set(key, lines)
  }
  const lines = cache.get(key)
  return lines && lines[line] !== undefined ? lines[line] : null
}

// Bundlers and minifiers rename functions (esbuild's `warm` becomes `warm2`);
// The mapped position is the name's (the map's segment for the identifier)
// or the parameter list's (V8's function position), so the original name is
// the identifier at it, or just before it, in the original source.
function originalName(frame, cache) {
  const text = sourceLine(frame.url, frame.line, cache)
  if (text === null) return null
  const m = IDENTIFIER_AT.exec(text.slice(frame.column)) || IDENTIFIER_BEFORE.exec(text.slice(0, frame.column))
  return m && m[1] !== 'function' && m[1] !== 'async' ? m[1] : null
}

// The two shapes a position has in a report: a call frame (allocation sites,
// their frames, `enclosingFunction`) and a `SourceLocation` (where a suspect's
// closure, listener or timer callback was defined).
const SHAPES = {
  frame: { url: 'url', name: 'functionName' },
  location: { url: 'scriptName', name: null },
}

/**
 * Every position a Report carries, in ONE place: where it is (`[]` steps into
 * each element of an array) and its shape. __test__/report-positions.test.js
 * walks the report's types (lib/analyze.d.ts and the Rust structs) and fails
 * when a field with a line and column is missing here.
 */
const REPORT_POSITIONS = [
  ['suspects[].location', 'location'],
  ['suspects[].enclosingFunction', 'frame'],
  ['suspects[].allocation', 'frame'],
  ['suspects[].allocation.frames[]', 'frame'],
  ['suspects[].allocation.inlinedInto[]', 'frame'],
  ['summary.allocationSites[]', 'frame'],
  ['summary.allocationSites[].frames[]', 'frame'],
  ['summary.allocationSites[].inlinedInto[]', 'frame'],
]

/** Calls `fn` with every object at `at` (a REPORT_POSITIONS path) under `root`. */
function each(root, at, fn) {
  let level = [root]
  for (const step of at.split('.')) {
    const many = step.endsWith('[]')
    const key = many ? step.slice(0, -2) : step
    const next = []
    for (const o of level) {
      const v = o && typeof o === 'object' ? o[key] : undefined
      if (many && Array.isArray(v)) next.push(...v)
      else if (!many && v) next.push(v)
    }
    level = next
  }
  for (const o of level) if (o && typeof o === 'object') fn(o)
}

/**
 * Rewrites one position of `shape` in place to the original source; V8's own
 * is kept in `generated` (same keys). Returns true if it moved.
 */
function mapPosition(pos, shape, cache) {
  const { url: urlKey, name: nameKey } = SHAPES[shape]
  const url = pos[urlKey]
  if (pos.generated || typeof url !== 'string') return false
  const o = originalPosition(url, pos.line, pos.column, cache)
  if (!o) return false
  const generated = { [urlKey]: url, line: pos.line, column: pos.column }
  if (nameKey) generated[nameKey] = pos[nameKey]
  pos.generated = generated
  pos[urlKey] = o.url
  pos.line = o.line
  pos.column = o.column
  const name = nameKey ? originalName({ url: o.url, line: o.line, column: o.column }, cache) : null
  if (name && pos[nameKey] && !pos[nameKey].endsWith(name)) pos[nameKey] = name
  return true
}

/**
 * Maps every position of a report's JSON form (REPORT_POSITIONS; a part of
 * one, such as `{ summary: { allocationSites } }`, works too) to original
 * sources. With `{ inspector: true }`, maps of code transformed in memory are
 * looked up too (see inspectorMapURLs). Returns true if anything changed; the
 * caller then renders the text again from the mapped JSON.
 */
function mapReport(data, opts = {}) {
  const cache = new Map()
  if (opts.inspector) cache.inspector = inspectorMapURLs()
  let changed = false
  for (const [at, shape] of REPORT_POSITIONS) {
    each(data, at, (pos) => { changed = mapPosition(pos, shape, cache) || changed })
  }
  for (const s of data.suspects || []) changed = renameHolderFunction(s, cache) || changed
  return changed
}

// A suspect's closure is named by its holder (`holder.function`), with the
// name V8 saw: a bundler's rename (`warm2`) is undone from the original
// source at the mapped location, as for allocation sites; V8's name is kept
// in `location.generated.function`.
function renameHolderFunction(s, cache) {
  const loc = s.location
  const h = s.holder
  if (!loc || !loc.generated || !h || typeof h.function !== 'string' || !h.function) return false
  const name = originalName({ url: loc.scriptName, line: loc.line, column: loc.column }, cache)
  if (!name || h.function.endsWith(name)) return false
  loc.generated.function = h.function
  h.function = name
  return true
}

module.exports = { originalPosition, mapReport, REPORT_POSITIONS }

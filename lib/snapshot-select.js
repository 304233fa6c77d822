'use strict'

// Which snapshots to analyse when given any number of files or directories:
// group them by process, order them by time, take first, middle and last of
// one process, and say what was chosen and why.
const fs = require('fs')
const path = require('path')
const { invalidOption, LeakwatchError } = require('./errors')

// `<host>-<pid>-<UTC stamp>-<seq>[-<label>].heapsnapshot[.gz]`, as
// src/capture/naming.rs writes it (hosts and labels keep only [A-Za-z0-9._]).
const NAME = /^(.+)-(\d+)-(\d{8}T\d{6}(?:\.\d+)?Z)-(\d+)(?:-(.+?))?\.heapsnapshot(?:\.gz)?$/
const SNAPSHOT = /\.heapsnapshot(?:\.gz)?$/

/** `20261121T081046.123Z` -> milliseconds since the epoch, or NaN. */
function stampMs(s) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\.\d+)?Z$/.exec(s)
  if (!m) return NaN
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], m[7] ? Math.round(Number(m[7]) * 1000) : 0)
}

/** What the file name says about a snapshot; `pid` is null for foreign names. */
function describe(file) {
  const m = NAME.exec(path.basename(file))
  let mtimeMs = NaN
  try {
    mtimeMs = fs.statSync(file).mtimeMs
  } catch {
    // A missing file is reported by the analyzer with its own error code.
  }
  if (!m) return { file, host: null, pid: null, time: mtimeMs, seq: 0 }
  return { file, host: m[1], pid: Number(m[2]), time: stampMs(m[3]), seq: Number(m[4]), label: m[5] || null }
}

/** Files and directories -> snapshot files (directories: their snapshots, not recursive). */
function expand(entries) {
  const files = []
  for (const entry of entries) {
    let stat = null
    try {
      stat = fs.statSync(entry)
    } catch {
      files.push(entry)
      continue
    }
    if (!stat.isDirectory()) {
      files.push(entry)
      continue
    }
    const found = fs.readdirSync(entry)
      .filter((n) => SNAPSHOT.test(n) && !n.startsWith('.leakwatch-'))
      .map((n) => path.join(entry, n))
    if (found.length === 0) {
      throw new LeakwatchError('ERR_LEAKWATCH_INVALID_OPTION', `invalid option files: no .heapsnapshot or .heapsnapshot.gz files in ${entry}`)
    }
    files.push(...found)
  }
  return files
}

const byTime = (a, b) => a.time - b.time || a.seq - b.seq || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)
const key = (d) => (d.pid === null ? 'unknown' : `${d.host}-${d.pid}`)
const who = (d) => (d.pid === null ? 'snapshots without a leakwatch file name' : `pid ${d.pid} on ${d.host}`)

/** first, middle and last of `list`, or all of it when it has three or fewer. */
function firstMiddleLast(list) {
  if (list.length <= 3) return list
  return [list[0], list[Math.floor((list.length - 1) / 2)], list[list.length - 1]]
}

/**
 * Chooses what to analyse among `entries` (files and directories).
 * @returns {{ files: string[], selection: { process: string|null, available: number, chosen: string[], notes: string[] } }}
 */
function selectSnapshots(entries) {
  const list = typeof entries === 'string' ? [entries] : entries
  if (!Array.isArray(list) || list.length < 1 || !list.every((f) => typeof f === 'string' && f)) {
    throw invalidOption('files', 'must be a snapshot path or directory, or a non-empty array of them')
  }
  // The same file named twice (a glob and a directory) is one snapshot.
  const seen = new Set()
  const given = expand(list)
    .filter((f) => {
      const real = path.resolve(f)
      if (seen.has(real)) return false
      seen.add(real)
      return true
    })
    .map(describe)
  const notes = []
  const groups = new Map()
  for (const d of given) {
    if (!groups.has(key(d))) groups.set(key(d), [])
    groups.get(key(d)).push(d)
  }
  // The process with the most snapshots, then the one with the newest.
  const ranked = [...groups.values()].sort((a, b) => b.length - a.length || Math.max(...b.map((d) => d.time)) - Math.max(...a.map((d) => d.time)))
  const group = ranked[0].slice().sort(byTime)
  if (ranked.length > 1) {
    const others = ranked.slice(1).map((g) => `${who(g[0])} (${g.length})`).join(', ')
    notes.push(`warning: snapshots of ${ranked.length} processes were given; analysed ${who(group[0])} (${group.length}), ignored ${others}: objects of different processes cannot be compared`)
  }
  const explicit = list.every((f) => !isDirectory(f))
  const inGivenOrder = given.filter((d) => group.includes(d))
  if (explicit && inGivenOrder.some((d, i) => d !== group[i])) {
    notes.push('warning: the snapshots were not given oldest first; they were analysed in time order (file name stamp, else modification time)')
  }
  const chosen = firstMiddleLast(group)
  if (group.length > 3) {
    const at = chosen.map((d) => group.indexOf(d) + 1).join(', ')
    notes.push(`${group.length} snapshots of ${who(group[0])}: analysed the first, middle and last (numbers ${at} in time order)`)
  }
  return {
    files: chosen.map((d) => d.file),
    selection: {
      process: group[0].pid === null ? null : `${group[0].host}-${group[0].pid}`,
      available: group.length,
      chosen: chosen.map((d) => d.file),
      notes,
    },
  }
}

function isDirectory(f) {
  try {
    return fs.statSync(f).isDirectory()
  } catch {
    return false
  }
}

module.exports = { selectSnapshots, describe, stampMs }

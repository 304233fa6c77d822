'use strict'
// /proc readers shared by the tests and the benchmarks.
const fs = require('fs')

/** Pids of the children of every thread of `pid`. */
function childrenOf(pid) {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number))
  } catch {
    return []
  }
}

/** The `kB` fields of /proc/<pid>/status in bytes (one read), 0 when gone. */
function statusBytes(pid, fields) {
  let text = ''
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
  } catch {}
  return fields.map((field) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)
    return m ? Number(m[1]) * 1024 : 0
  })
}

/** Resident set size in bytes, 0 when the process is gone. */
const rssOf = (pid) => statusBytes(pid, ['VmRSS'])[0]

/**
 * Current RSS and the kernel's record of the highest RSS so far (VmHWM), in
 * bytes; zeros when the process is gone.
 */
function rssAndPeakOf(pid) {
  const [rss, peak] = statusBytes(pid, ['VmRSS', 'VmHWM'])
  return { rss, peak }
}

module.exports = { childrenOf, rssOf, rssAndPeakOf }

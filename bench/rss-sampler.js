'use strict'
// Peak RSS of a process and, separately, of its children, sampled from
// outside through /proc every few milliseconds.
const fs = require('fs')

function rssOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) * 1024 : 0
  } catch {
    return 0
  }
}

function childrenOf(pid) {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).flatMap((t) =>
      fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number))
  } catch {
    return []
  }
}

class RssSampler {
  constructor(pid, everyMs = 10) {
    this.peak = 0
    this.childPeak = 0
    this.timer = setInterval(() => {
      this.peak = Math.max(this.peak, rssOf(pid))
      for (const c of childrenOf(pid)) this.childPeak = Math.max(this.childPeak, rssOf(c))
    }, everyMs)
  }

  reset() {
    this.peak = 0
    this.childPeak = 0
  }

  stop() {
    clearInterval(this.timer)
    return { peakRss: this.peak, childPeakRss: this.childPeak }
  }
}

module.exports = { RssSampler, rssOf }

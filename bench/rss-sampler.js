'use strict'
// Peak RSS of a process and, separately, of its children, sampled from
// outside through /proc every few milliseconds.
const { childrenOf, rssOf } = require('../scripts/procfs')

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

'use strict'
// Peak RSS of a process and, separately, of its children, read from outside
// through /proc every few milliseconds. For the process itself the kernel's
// own high-water mark (VmHWM) is kept too: exact, where sampling can miss a
// spike of a few milliseconds.
const { childrenOf, rssOf, rssAndPeakOf } = require('../scripts/procfs')

class RssSampler {
  constructor(pid, everyMs = 10) {
    this.baseline = rssOf(pid)
    this.peak = 0
    this.hwm = 0
    this.childPeak = 0
    this.timer = setInterval(() => {
      const { rss, peak } = rssAndPeakOf(pid)
      this.peak = Math.max(this.peak, rss)
      this.hwm = Math.max(this.hwm, peak)
      for (const c of childrenOf(pid)) this.childPeak = Math.max(this.childPeak, rssOf(c))
    }, everyMs)
  }

  stop() {
    clearInterval(this.timer)
    return {
      baselineRss: this.baseline,
      peakRss: Math.max(this.hwm, this.peak),
      sampledPeakRss: this.peak,
      childPeakRss: this.childPeak,
    }
  }
}

module.exports = { RssSampler, rssOf }

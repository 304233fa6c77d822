'use strict'

function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (s.length === 0) return null
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

function ratio(a, b) {
  return a == null || b == null || b === 0 ? null : a / b
}

module.exports = { median, ratio }

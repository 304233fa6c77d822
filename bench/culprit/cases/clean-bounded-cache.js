'use strict'
// Clean: a cache bounded to 500 entries (oldest evicted first).
const lru = new Map()
const MAX = 500

function lookup(i) {
  lru.set(`k-${i}`, { id: i, value: `v-${i}` })
  if (lru.size > MAX) lru.delete(lru.keys().next().value)
}

module.exports = {
  expect: { clean: true },
  step(i) { lookup(i) },
}

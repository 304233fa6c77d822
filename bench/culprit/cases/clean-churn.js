'use strict'
// Clean: lots of short-lived garbage per request, nothing kept.
function render(i) {
  const rows = []
  for (let k = 0; k < 20; k++) rows.push({ k, label: `row-${i}-${k}` })
  return JSON.stringify(rows).length
}

let total = 0
module.exports = {
  expect: { clean: true },
  step(i) { total += render(i) },
}

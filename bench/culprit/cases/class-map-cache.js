'use strict'
const tokens = require('../support/token-cache')

function issueToken(i) {
  tokens.remember(`tok-${i}-${Math.random().toString(36).slice(2)}`, { issuer: 'auth', claims: { sub: i, scope: 'read' } })
}

module.exports = {
  expect: { holder: 'entries', kind: 'unbounded-collection', allocator: 'issueToken' },
  step(i) { issueToken(i) },
}

'use strict'
// Helper module of class-map-cache: a class instance exported from its module
// holds a Map that only grows.
class TokenCache {
  constructor() {
    this.entries = new Map()
  }

  remember(key, value) {
    this.entries.set(key, value)
  }
}

module.exports = new TokenCache()

'use strict'

// watch()'s options. Their defaults and ranges live in one place, the Rust
// schema (src/watch/options.rs): this only converts, checking names (with
// the nearest one for a typo) and JS types so that every value reaching the
// addon is one it can take, then lets the schema check ranges and fill in
// defaults. `snapshot` and `heapProfile` are the evidence options of
// lib/watchdog-evidence.js: snapshot()'s schema, and heapProfile's part of
// this one.
const native = require('./native')
const { fromNative } = require('./errors')
const { optionsObject, typedValues } = require('./options')
const { evidenceOptions } = require('./watchdog-evidence')

/** The schema, as the addon describes it. */
const SCHEMA = native.watchOptionSchema()
const EVIDENCE = ['snapshot', 'heapProfile']
const TYPES = {
  ...Object.fromEntries(SCHEMA.numbers.map((s) => [s.name, 'number'])),
  [SCHEMA.forceGc]: 'boolean',
  [SCHEMA.cgroupRoot]: 'string',
}

const NUMBER_DEFAULTS = Object.fromEntries(SCHEMA.numbers.map((s) => [s.name, s.default]))

/**
 * Every option's default. `snapshot`'s follows the environment (`dir`), so it
 * is resolved at watch(); `heapProfile`'s is the one at the default `snapshots`.
 */
const DEFAULTS = Object.freeze({
  ...NUMBER_DEFAULTS,
  [SCHEMA.forceGc]: SCHEMA.forceGcDefault,
  [SCHEMA.cgroupRoot]: undefined,
  snapshot: undefined,
  heapProfile: Object.freeze(native.watchHeapProfileOptions({}, NUMBER_DEFAULTS.snapshots)),
})

/**
 * Validates watch() options and fills in defaults. Throws
 * ERR_LEAKWATCH_INVALID_OPTION naming the option: unknown (with the nearest
 * known name), of the wrong type, or out of the schema's range.
 */
function watchOptions(opts) {
  opts = optionsObject(opts, [...Object.keys(TYPES), ...EVIDENCE])
  const given = typedValues(opts, TYPES)
  let o
  try {
    o = native.watchOptions(given)
  } catch (err) {
    throw fromNative(err)
  }
  return { ...o, cgroupRoot: o.cgroupRoot, ...evidenceOptions(opts, o.snapshots) }
}

module.exports = { watchOptions, DEFAULTS, SCHEMA }

// Types of lib/analyze.js (for the main engineer to merge into index.d.ts).

/** Where a closure was defined; line and column are zero-based, as V8 writes them. */
export interface SourceLocation {
  scriptId: number
  scriptName: string | null
  line: number
  column: number
}

/**
 * What a suspect is, as a stable id: `unbounded-collection`, `event-listeners`,
 * `timers`, `closures`, `promise-chain`, `unclosed-resources`, `external-buffers`,
 * `async-context`, or `unknown` (see docs/analyzer.md for how each is recognised).
 */
export type LeakKind =
  | 'unbounded-collection'
  | 'event-listeners'
  | 'timers'
  | 'closures'
  | 'promise-chain'
  | 'unclosed-resources'
  | 'external-buffers'
  | 'async-context'
  | 'unknown'

/** What keeps a suspect's objects alive. */
export interface Holder {
  /** The holder in words, e.g. "variable `requestLog` (Array) in the module scope of /srv/app.js". */
  description: string
  /** Variable, property or event name; for timer lists the callback's name. */
  name: string | null
  type: 'variable' | 'property' | 'event-listeners' | 'timer-list' | 'promise-chain' | 'handles' | 'unknown'
  /** Owner class (properties), emitter class (listeners), or the scope in words (variables). */
  owner: string | null
  /** Script of the holder's scope, or of the listener or callback. */
  script: string | null
  /** Class of the object the holder points to (`Array`, `Map`, …). */
  collection: string | null
  /** Name of the listener, timer callback or capturing closure. */
  function: string | null
}

/** A growing group merged into the suspect that shares its holder (a Map's keys beside its values). */
export interface MergedGroup {
  constructor: string
  countDelta: number
  retainedSizeDelta: number
  counts: number[]
}

/** One place in the heap that grows from snapshot to snapshot. */
export interface Suspect {
  /** Class of the growing objects: constructor or function name, or `(array)`, `(string)`… */
  constructor: string
  countDelta: number
  retainedSizeDelta: number
  shallowSizeDelta: number
  holder: Holder
  kind: LeakKind
  /** One line of advice for this kind of leak. */
  advice: string
  /** Retaining path for people: from the holder's module file or owner, repeats collapsed, at most 12 steps. */
  path: string
  /** The full shortest retaining path from the GC roots. */
  rawPath: string
  /** Where `holder.function` (listener, timer callback, capturing closure) was defined; null otherwise. */
  location: SourceLocation | null
  /** Objects of this group created between snapshots 1 and 2 and alive in 3 (in-process snapshots only). */
  survivors: number | null
  counts: number[]
  retainedSizes: number[]
  score: number
  merged: MergedGroup[]
}

export interface ClassStat {
  name: string
  count: number
  shallowSize: number
  retainedSize: number
}

export interface SnapshotSummary {
  file: string
  nodeCount: number
  edgeCount: number
  totalSize: number
}

export interface Summary {
  /** `single`, `growth` (matched by retaining path) or `three-snapshot` (object ids too). */
  mode: 'single' | 'growth' | 'three-snapshot'
  snapshots: SnapshotSummary[]
  topClasses: ClassStat[]
  survivors: ClassStat[]
  belowThreshold: number
  /** Present when the snapshots were chosen among more, or something was off (mixed processes, order). */
  selection?: {
    /** `<host>-<pid>` of the analysed process, when the file names say. */
    process: string | null
    available: number
    chosen: string[]
    notes: string[]
  }
}

export declare class Report {
  suspects: Suspect[]
  summary: Summary
  /** The report for people. */
  toString(): string
  toJSON(): { suspects: Suspect[]; summary: Summary }
}

export interface AnalyzeOptions {
  /** Report a place only if its retained size grew by at least this many bytes (default 262144). */
  minRetainedDelta?: number
  /** Report a place whose object count grows at every step by this many in total even under `minRetainedDelta` (default 1000; 0: off). */
  minCountDelta?: number
  /** At most this many suspects (default 10). */
  maxSuspects?: number
  /** How many classes the summary lists (default 15). */
  topClasses?: number
  /** With one snapshot, report the biggest groups of alike objects (1000+) as suspects (default false). */
  singleSuspects?: boolean
}

/**
 * Analyses `.heapsnapshot(.gz)` files off the main thread: any number of files and
 * directories; of one process (pid in the file name) the first, middle and last by
 * time are analysed, and `summary.selection` says so.
 * Rejects with a `LeakwatchError` whose `code` is one of ERR_LEAKWATCH_SNAPSHOT_PARSE,
 * _SNAPSHOT_TRUNCATED, _SNAPSHOT_INVALID, _SNAPSHOT_TOO_LARGE, _GZIP, _IO, _INVALID_OPTION.
 */
export declare function analyze(files: string | string[], opts?: AnalyzeOptions): Promise<Report>

/**
 * A `Report` from its JSON form (what `leakwatch analyze --json` prints), with the
 * same `toString()` text as the original. Throws a `LeakwatchError` with code
 * ERR_LEAKWATCH_INVALID_OPTION when `data` is not a report.
 */
export declare function reportFromJSON(data: string | object): Report

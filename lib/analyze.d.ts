// Types of lib/analyze.js; index.d.ts re-exports them.

/**
 * Where a closure was defined; line and column are zero-based. V8's function
 * position: the function's start, the `(` of its parameters (or an arrow's).
 */
export interface SourceLocation {
  scriptId: number
  scriptName: string | null
  line: number
  column: number
  /** Where V8 saw it, when a source map moved it to the original source; `function`: V8's name of `holder.function` when the source names it otherwise (a bundler's rename). */
  generated?: { scriptName: string; line: number; column: number; function?: string }
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
  /** The function whose calls made that closure, one per leaked object, from the closure's scope chain in the last snapshot (no sample needed). Null when it was made at a script's top level, made once for many objects, or no live closure of its function names it. */
  enclosingFunction: AllocationFrame | null
  /** Objects of this group created between snapshots 1 and 2 and alive in 3 (in-process snapshots only). */
  survivors: number | null
  counts: number[]
  retainedSizes: number[]
  score: number
  merged: MergedGroup[]
  /** The code that allocated the growth, from sampling heap profiles (null without one, or when no frame tells). */
  allocation: AllocationSite | null
}

/** One call frame; zero-based `line`/`column` of the function, -1 when unknown (builtins). */
export interface AllocationFrame {
  functionName: string
  url: string
  line: number
  column: number
  /** Where V8 saw it, when a source map moved it to the original source. */
  generated?: { url: string; line: number; column: number; functionName: string }
}

/** A stack whose live sampled bytes grew (sampling heap profile). */
/** A caller an allocating function was inlined into: V8 charged `bytes` of its growth to the caller (docs/allocation-sites.md). */
export interface InlinedInto extends AllocationFrame {
  bytes: number
}

/** One allocating function, over every stack that reached it. */
export interface AllocationSite extends AllocationFrame {
  /** The stack that grew most, innermost first, at most 8 frames, Node's own included. */
  frames: AllocationFrame[]
  /** Growth of live sampled bytes between the first and last profile (one profile: its live bytes), over all its stacks, plus what was moved here from callers it was inlined into. */
  bytes: number
  liveBytes: number
  /** Distinct stacks (8 frames deep) that reached this function. */
  stacks?: number
  /** Callers it was inlined into, heaviest first; absent when none. */
  inlinedInto?: InlinedInto[]
  /** On a suspect: `encloses` (its function's body holds the suspect's closures or listeners), `scope` (the same function, named from the snapshot's scope chain; the profiler sampled none of its allocations, so `bytes` is 0), `script` (a frame runs in the suspect's script), `class` (a frame is its constructor), `window` (top growing stack of the same window, nothing tells more). */
  matchedBy?: 'encloses' | 'scope' | 'script' | 'class' | 'window'
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
  /** Allocation sites by growth of live sampled bytes, at most 10 (empty without profiles). */
  allocationSites: AllocationSite[]
  /** The sampling heap profiles read, or why none was (absent in reports saved before it). */
  profiles?: ProfilesRead
}

/** Which `.heapprofile` files an analysis read. */
export interface ProfilesRead {
  /** `given` (the `profiles` option, CLI `--profile`), `beside` (`<snapshot base>.heapprofile` looked for), `off` (`profiles: false`, `--no-profiles`). */
  source: 'given' | 'beside' | 'off'
  /** The profiles read, oldest first. */
  files: string[]
  /** With `beside`: every path looked at, found or not. */
  lookedFor: string[]
}

/** How the watchdog's own report was analysed (`report.analysis`, watchdog reports only). */
export interface ReportAnalysis {
  where: 'child process'
  /** Wall time of the analysis, ms. */
  ms: number
  /** Peak RSS of the analysing process, bytes. */
  maxRssBytes: number
  /** The snapshots analysed. */
  files: string[]
}

export declare class Report {
  suspects: Suspect[]
  summary: Summary
  /** On the watchdog's `'report'` only (not enumerable, not in the JSON). */
  readonly analysis?: ReportAnalysis
  /** The report for people. */
  toString(): string
  toJSON(): { suspects: Suspect[]; summary: Summary }
}

export interface AnalyzeOptions {
  /** Report a place only if its retained size grew by at least this many bytes; integer in [0, 9007199254740991]. Default 262144. */
  minRetainedDelta?: number
  /** Report a place whose object count grows at every step by this many in total even under `minRetainedDelta` (0: off); integer in [0, 9007199254740991]. Default 1000. */
  minCountDelta?: number
  /** At most this many suspects; integer in [0, 4294967295]. Default 10. */
  maxSuspects?: number
  /** How many classes the summary lists; integer in [0, 4294967295]. Default 15. */
  topClasses?: number
  /** With one snapshot, report the biggest groups of alike objects (1000+) as suspects. Default false. */
  singleSuspects?: boolean
  /**
   * Sampling heap profiles (`.heapprofile`) of the same window, up to 3, oldest first; default:
   * `<snapshot base>.heapprofile` beside each snapshot, where present; `false`: none.
   */
  profiles?: string[] | false
}

/**
 * Allocation sites of one to three `.heapprofile` files alone, ranked by growth of live
 * sampled bytes, mapped to original sources where a source map is found. `String(sites)`
 * gives their lines of the text report (one-based positions; '' for none). Rejects with
 * ERR_LEAKWATCH_INVALID_OPTION, ERR_LEAKWATCH_PROFILE_INVALID or ERR_LEAKWATCH_IO.
 */
export declare function allocationSites(profiles: string[]): Promise<AllocationSite[]>

/**
 * Analyses `.heapsnapshot(.gz)` files off the main thread: any number of files and
 * directories; of one process (pid in the file name) the first, middle and last by
 * time are analysed, and `summary.selection` says so.
 * Rejects with a `LeakwatchError` whose `code` is one of ERR_LEAKWATCH_SNAPSHOT_PARSE,
 * _SNAPSHOT_TRUNCATED, _SNAPSHOT_INVALID, _SNAPSHOT_TOO_LARGE, _GZIP, _IO, _INVALID_OPTION,
 * _PROFILE_INVALID (a `.heapprofile` that is not one); a `.heapprofile` given among `files`
 * is _INVALID_OPTION (give it as `profiles`, or to `allocationSites()`).
 */
export declare function analyze(files: string | string[], opts?: AnalyzeOptions): Promise<Report>

/**
 * A `Report` from its JSON form (what `leakwatch analyze --json` prints), with the
 * same `toString()` text as the original. Throws a `LeakwatchError` with code
 * ERR_LEAKWATCH_INVALID_OPTION when `data` is not a report.
 */
export declare function reportFromJSON(data: string | object): Report

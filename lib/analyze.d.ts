// Types of lib/analyze.js; index.d.ts re-exports them.

/** Where a closure was defined; line and column are zero-based, as V8 writes them. */
export interface SourceLocation {
  scriptId: number
  scriptName: string | null
  line: number
  column: number
}

/** One place in the heap that grows from snapshot to snapshot. */
export interface Suspect {
  /** Class of the growing objects: constructor or function name, or `(array)`, `(string)`… */
  constructor: string
  countDelta: number
  retainedSizeDelta: number
  shallowSizeDelta: number
  /** Shortest retaining path of a representative object, e.g. `global > cache > [12] > Object{a,b}`. */
  path: string
  /** Where the object, or the nearest closure retaining it, was defined. */
  location: SourceLocation | null
  /** Objects of this group created between snapshots 1 and 2 and alive in 3 (in-process snapshots only). */
  survivors: number | null
  counts: number[]
  retainedSizes: number[]
  score: number
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
export interface AllocationSite extends AllocationFrame {
  /** The stack, innermost first, at most 8 frames, Node's own included. */
  frames: AllocationFrame[]
  /** Growth of live sampled bytes between the first and last profile (one profile: its live bytes). */
  bytes: number
  liveBytes: number
  /** On a suspect: `script` (a frame runs in the suspect's script), `class` (a frame is its constructor), `window` (top growing stack of the same window, nothing tells more). */
  matchedBy?: 'script' | 'class' | 'window'
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
  /** Allocation sites by growth of live sampled bytes, at most 10 (empty without profiles). */
  allocationSites: AllocationSite[]
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
  /** At most this many suspects (default 10). */
  maxSuspects?: number
  /** How many classes the summary lists (default 15). */
  topClasses?: number
  /** With one snapshot, report the biggest groups of alike objects (1000+) as suspects (default false). */
  singleSuspects?: boolean
  /**
   * Sampling heap profiles (`.heapprofile`) of the same window, oldest first; default:
   * `<snapshot base>.heapprofile` beside each snapshot, where present; `false`: none.
   */
  profiles?: string[] | false
}

/**
 * Allocation sites of one to three `.heapprofile` files alone, ranked by growth of live
 * sampled bytes, mapped to original sources where a source map is found. Rejects with
 * ERR_LEAKWATCH_INVALID_OPTION, ERR_LEAKWATCH_PROFILE_INVALID or ERR_LEAKWATCH_IO.
 */
export declare function allocationSites(profiles: string[]): Promise<AllocationSite[]>

/**
 * Analyses one to three `.heapsnapshot(.gz)` files, oldest first, off the main thread.
 * Rejects with a `LeakwatchError` whose `code` is one of ERR_LEAKWATCH_SNAPSHOT_PARSE,
 * _SNAPSHOT_TRUNCATED, _SNAPSHOT_INVALID, _SNAPSHOT_TOO_LARGE, _GZIP, _IO, _INVALID_OPTION,
 * _PROFILE_INVALID (a `.heapprofile` that is not one).
 */
export declare function analyze(files: string | string[], opts?: AnalyzeOptions): Promise<Report>

/**
 * A `Report` from its JSON form (what `leakwatch analyze --json` prints), with the
 * same `toString()` text as the original. Throws a `LeakwatchError` with code
 * ERR_LEAKWATCH_INVALID_OPTION when `data` is not a report.
 */
export declare function reportFromJSON(data: string | object): Report

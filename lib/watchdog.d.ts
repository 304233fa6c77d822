import { EventEmitter } from 'events'
import type { SnapshotOptions } from '../index'

export interface WatchOptions {
  /** Sampling period: 'stats' events, RSS/cgroup reads, detector runs. Default 5000; in [10, 2147483647]. */
  intervalMs?: number
  /** Analysis window for the growth trend. Default 180000 (3 min); > 0 and >= 4 x intervalMs. */
  windowMs?: number
  /** Smallest growth of the post-GC live heap worth reporting, in bytes per minute. Default 1048576 (1 MiB); > 0. */
  minGrowthBytesPerMin?: number
  /** Mann-Kendall confidence required. Default 0.95; in (0.5, 1). */
  confidence?: number
  /** Readings during this time after start are ignored by the careful rules (start-up allocation). Default 30000; >= 0. */
  warmupMs?: number
  /**
   * A leak projected to exhaust a limit (heap, container, constrained memory or
   * physical memory) within this many ms is reported at once, as `urgent`, from
   * five readings. During warm-up only a limit reached within warmupMs counts.
   * Default 900000 (15 min); > 0 and >= 5 x intervalMs.
   */
  urgentHorizonMs?: number
  /** Let the watchdog request rate-limited full GCs when major GCs are too sparse to judge (<= 1% of the time). Default true. */
  forceGc?: boolean
  /** Take N heap snapshots over the watchdog's life when a leak is suspected, at least windowMs/2 apart; a failed capture is retried (3 in a row at most), one deleted before the report retaken (3 at most). Default 0; integer in [0, 20]. */
  snapshots?: number
  /** cgroup mount to read instead of $LEAKWATCH_CGROUP_ROOT or /sys/fs/cgroup; a non-empty path. */
  cgroupRoot?: string
  /** Options of the watchdog's snapshots and evidence files: snapshot()'s options, same validation (label becomes a prefix of `leak-N`). */
  snapshot?: SnapshotOptions
  /** The sampling heap profile kept as evidence (see README "Evidence before an OOM"). */
  heapProfile?: HeapProfileOptions
}

export interface HeapProfileOptions {
  /** 'suspected' (default when snapshots > 0): start when growth is suspected, OOM is projected or the live heap passes 40% of the limit; 'always': at start; 'never' (default otherwise). */
  when?: 'suspected' | 'always' | 'never'
  /** Mean bytes allocated between two samples. Default 524288 (512 KiB); integer in [1024, 1073741824]. */
  samplingIntervalBytes?: number
  /** Re-save period while OOM is not near (every tick when it is). Each save costs one full GC. Default 30000; integer in [100, 2147483647]. */
  saveEveryMs?: number
}

export type EvidenceEvent =
  /** `shared`: joined a SamplingProfiler of this process already running (its interval, `samplingIntervalBytes`). */
  | { type: 'profiling-started'; reason: 'always' | 'suspected' | 'leak' | 'urgent' | 'oom-projected' | 'near-limit'; shared: boolean; samplingIntervalBytes: number }
  /** A profile written: the rolling evidence file (first save only) or the one beside a snapshot (`snapshot` set). */
  | { type: 'heap-profile'; path: string; bytes: number; snapshot?: string }
  /** The snapshot could not finish before the projected OOM; none was started. */
  | { type: 'snapshot-skipped'; reason: string; heapProfile: string | null }
  /** Another snapshot (the user's own, a signal's) was in flight: the watchdog's waits for it, uncounted. Once per wait. */
  | { type: 'snapshot-deferred'; code: 'ERR_LEAKWATCH_BUSY'; reason: string }

export interface GcCounts {
  minor: number
  major: number
  incremental: number
  weakcb: number
  /** Total GC pause time since start. */
  pauseMs: number
  majorPauseMs: number
  maxPauseMs: number
  /** Full GCs the watchdog requested, and their total pause. */
  forced: number
  forcedPauseMs: number
}

export type LeakKind = 'heap' | 'external' | 'rss'

/** The external-memory and RSS series' current views. */
export interface OutsideViews {
  external?: { state: WatchState; bytes: number; growthBytesPerMin: number; msToOom: number | null }
  rss?: { state: WatchState; bytes: number; growthBytesPerMin: number; msToOom: number | null }
}

export interface WatchStats {
  /** Epoch ms of the sample. */
  at: number
  /** Live heap (old generation) measured after the last major GC; null before the first. */
  liveHeapBytes: number | null
  heapUsedBytes: number
  heapTotalBytes: number
  heapLimitBytes: number
  externalBytes: number
  rssBytes: number | null
  /** Highest RSS the sampling thread saw since the previous sample (even while the loop was blocked). */
  peakRssBytes: number | null
  /** Container memory limit, null when there is none. */
  memoryLimitBytes: number | null
  /** Container working set (usage minus inactive file cache). */
  memoryUsageBytes: number | null
  gc: GcCounts
}

export type WatchState = 'warmup' | 'insufficient' | 'steady' | 'suspected' | 'leak'

export interface WatchStatsEvent extends WatchStats {
  state: WatchState
  growthBytesPerMin: number
  confidence: number
  /** Projection at the current trend, whether or not it is a leak; null when not growing. */
  msToOom: number | null
  /** True while any series projects a limit within urgentHorizonMs. */
  urgent: boolean
  outside: OutsideViews
}

export interface LeakEvent {
  /** Where the memory grows: JS heap, external (Buffers, ArrayBuffers), or RSS outside both. */
  kind: LeakKind
  /** True when reported by the urgent rule: a limit is projected within urgentHorizonMs. */
  urgent: boolean
  /** The series' latest reading, in bytes (live heap, external, or RSS outside V8). */
  bytes: number
  /** Theil-Sen slope of the post-GC live heap's lower envelope over the window. */
  growthBytesPerMin: number
  /** 1 - p of the Mann-Kendall test for a rising floor. */
  confidence: number
  /** The window analysed: options.windowMs, stretched (up to 4x) when major GCs are sparse. */
  windowMs: number
  /** Post-GC readings inside the window. */
  samples: number
  liveHeapBytes: number
  heapLimitBytes: number
  /** Container limit where one exists, else null. */
  memoryLimitBytes: number | null
  rssBytes: number | null
  /** The trend projected onto the nearest limit (the heap limit only for kind 'heap'). */
  msToOom: number | null
  projectedOomAt: Date | null
  /** Which limit the projection reaches first ('rss': constrained or physical memory). */
  oomBound: 'heap' | 'container' | 'rss' | null
  recentGrowthBytesPerMin: number
  reason: string
  /** Paths of snapshots completed so far (option `snapshots`). */
  snapshots: string[]
  /** The rolling evidence `.heapprofile` once written (README "Evidence before an OOM"), else null. */
  heapProfile: string | null
}

export interface RecoveredEvent {
  kind: LeakKind
  growthBytesPerMin: number
  confidence: number
  windowMs: number
  samples: number
  /** Null unless kind is 'heap'. */
  liveHeapBytes: number | null
  bytes: number
  reason: string
}

export interface SnapshotEvent {
  label: string
  path: string
  /** The profile saved beside it (`<same base>.heapprofile`), or null. */
  heapProfile: string | null
  [key: string]: unknown
}

export interface WatchdogStats extends Partial<WatchStats> {
  running: boolean
  assessment: {
    state: WatchState
    windowMs: number
    growthBytesPerMin: number
    recentGrowthBytesPerMin: number
    confidence: number
    samples: number
    msToOom: number | null
    reason: string
  } | null
  outside: OutsideViews
  /** The watchdog's own cost: main-thread time in its callbacks, CPU of its sampling thread. */
  overhead: { mainThreadMs: number; samplerCpuMs: number }
  snapshots: string[]
}

export declare class Watchdog extends EventEmitter {
  readonly options: Readonly<Required<Omit<WatchOptions, 'cgroupRoot'>> & { cgroupRoot?: string }>
  readonly running: boolean
  /** Latest figures (as in the last 'stats' event) and the detector's current view. */
  stats(): WatchdogStats
  /** Stops the timer, the GC observer and the sampling thread; idempotent. */
  stop(): void
  on(event: 'stats', listener: (s: WatchStatsEvent) => void): this
  on(event: 'leak', listener: (e: LeakEvent) => void): this
  on(event: 'recovered', listener: (e: RecoveredEvent) => void): this
  on(event: 'snapshot', listener: (e: SnapshotEvent) => void): this
  /**
   * After the last of `options.snapshots` (>= 2) snapshots: the same Report that analyze()
   * returns for them, allocation sites included, analysed in a child process.
   * Failures are 'error' events (ERR_LEAKWATCH_REPORT_FAILED, _TIMEOUT, or the analyzer's code).
   */
  on(event: 'report', listener: (r: import('./analyze').Report) => void): this
  on(event: 'evidence', listener: (e: EvidenceEvent) => void): this
  on(event: 'error', listener: (err: Error) => void): this
  on(event: string | symbol, listener: (...args: any[]) => void): this
  once(event: 'stats', listener: (s: WatchStatsEvent) => void): this
  once(event: 'leak', listener: (e: LeakEvent) => void): this
  once(event: 'recovered', listener: (e: RecoveredEvent) => void): this
  once(event: string | symbol, listener: (...args: any[]) => void): this
}

export interface WatchDeps {
  /** Injected by the facade: `require('leakwatch').snapshot({ label })`. */
  takeSnapshot?: (label: string, opts: SnapshotOptions & { reserveBytes: number }) => Promise<{ path: string; deleted?: string[] }>
  /** Replaces the native binding (tests). */
  NativeWatchdog?: new (opts: object) => unknown
}

export declare const DEFAULTS: Readonly<Required<Omit<WatchOptions, 'cgroupRoot'>>>
export declare function validateOptions(opts?: WatchOptions): Required<Omit<WatchOptions, 'cgroupRoot'>> & { cgroupRoot?: string }
export declare function watch(opts?: WatchOptions, deps?: WatchDeps): Watchdog

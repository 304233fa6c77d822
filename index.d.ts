import { EventEmitter } from 'events'
import type { analyze as analyzeFn, allocationSites as allocationSitesFn } from './lib/analyze'

export type { Report, Suspect, SourceLocation, AnalyzeOptions, AllocationSite, AllocationFrame, Holder, LeakKind, MergedGroup } from './lib/analyze'
export type { Watchdog, WatchOptions, WatchStatsEvent, LeakEvent, RecoveredEvent, HeapProfileOptions, EvidenceEvent, SnapshotEvent } from './lib/watchdog'
import type { Watchdog, WatchOptions, WatchStatsEvent, LeakEvent, RecoveredEvent } from './lib/watchdog'
export { SamplingProfiler } from './lib/sampling-profiler'
export type { SamplingProfilerOptions, SamplingHeapProfile } from './lib/sampling-profiler'
export type { GrowthOptions, GrowthResult } from './lib/growth'
import type { GrowthOptions, GrowthResult } from './lib/growth'

export type CaptureMode = 'auto' | 'fork' | 'inline'

/**
 * Options of `snapshot()`, `onSignal()`, the router's and the watchdog's
 * `snapshot`. A value out of range or of the wrong type is
 * `ERR_LEAKWATCH_INVALID_OPTION` naming the option; nothing is clamped.
 * Ranges and defaults are the capture schema's (src/capture/options.rs).
 */
export interface SnapshotOptions {
  /**
   * Directory for snapshots, a non-empty path, resolved against the current
   * directory. Default `$LEAKWATCH_DIR`, else `<os.tmpdir()>/leakwatch`. Created 0700.
   */
  dir?: string
  /** 'fork', 'inline', or 'auto': fork where this Node version is proven, else inline. Default 'auto'. */
  mode?: CaptureMode
  /** gzip level, integer in [0, 9]. Default 2. */
  gzipLevel?: number
  /** Kill a forked child still running after this many ms, integer in [1, 2147483647]. Default 300000. */
  timeoutMs?: number
  /** Up to 64 characters, added to the file name. No default. */
  label?: string
  /** Keep only the newest N snapshot files in `dir`, integer in [1, 1000000]. No default. */
  maxFiles?: number
  /** Keep only the newest snapshot files that fit in N bytes (the newest is always kept), integer in [1, 9007199254740991]. No default. */
  maxBytes?: number
  /** Refuse when disk or memory headroom is short. Default true. */
  checkHeadroom?: boolean
  /** A forked child asleep without progress this many ms is deadlocked, integer in [100, 2147483647]. Default 1500. */
  hangMs?: number
  /** Fork attempts before failing ('fork') or falling back to inline ('auto'), integer in [1, 10]. Default 3. */
  forkAttempts?: number
  /**
   * Root of the cgroup filesystem for the container memory limit, a non-empty
   * path. Default `$LEAKWATCH_CGROUP_ROOT`, else /sys/fs/cgroup.
   */
  cgroupRoot?: string
  /**
   * Replace string values by `<redacted N>` placeholders while the snapshot streams
   * (names, sizes and the graph stay exact; see README "Redaction"). Default false.
   * The file name ends in `redacted.heapsnapshot.gz`. A stream that cannot be
   * redacted fails with `ERR_LEAKWATCH_REDACT_FAILED` and leaves no file.
   */
  redact?: boolean
}

export interface SnapshotInfo {
  /** The published `.heapsnapshot.gz` file. */
  path: string
  /** Compressed size on disk. */
  bytes: number
  /** Size of the snapshot JSON before compression. */
  rawBytes: number
  /** How the snapshot was actually taken. */
  mode: 'fork' | 'inline'
  /** From the call to the published file. */
  durationMs: number
  /** How long the call blocked the event loop. */
  loopBlockedMs: number
  /** Fork attempts used (+1 when it fell back to inline). */
  attempts: number
  /** Present when 'auto' fell back to inline: the last fork error. */
  fallbackReason?: string
  label?: string
  /** Present (true) when string values were redacted. */
  redacted?: true
  /** Snapshot files deleted by retention afterwards. */
  deleted: string[]
}

export interface SignalSnapshotInfo extends SnapshotInfo {
  signal: string
  /** How many signals that arrived while busy this snapshot answers (0 for a direct one). */
  coalesced: number
}

export interface SignalHandle {
  readonly signal: string
  /** Removes leakwatch's listener only; the user's own listeners stay. */
  close(): void
}

/** Every code leakwatch emits (checked against the sources and README by __test__/error-codes.test.js). */
export type LeakwatchErrorCode =
  | 'ERR_LEAKWATCH_INVALID_OPTION'
  | 'ERR_LEAKWATCH_BUSY'
  | 'ERR_LEAKWATCH_DIR_NOT_WRITABLE'
  | 'ERR_LEAKWATCH_DISK_FULL'
  | 'ERR_LEAKWATCH_NO_DISK_HEADROOM'
  | 'ERR_LEAKWATCH_NO_MEMORY_HEADROOM'
  | 'ERR_LEAKWATCH_SNAPSHOT_FAILED'
  | 'ERR_LEAKWATCH_SNAPSHOT_TRUNCATED'
  | 'ERR_LEAKWATCH_CHILD_HUNG'
  | 'ERR_LEAKWATCH_CHILD_FAILED'
  | 'ERR_LEAKWATCH_CHILD_TIMEOUT'
  | 'ERR_LEAKWATCH_TIMEOUT'
  | 'ERR_LEAKWATCH_LEAK_DETECTED'
  | 'ERR_LEAKWATCH_FORK_FAILED'
  | 'ERR_LEAKWATCH_FORK_UNSUPPORTED'
  | 'ERR_LEAKWATCH_NOT_MAIN_THREAD'
  | 'ERR_LEAKWATCH_IO'
  | 'ERR_LEAKWATCH_SNAPSHOT_PARSE'
  | 'ERR_LEAKWATCH_SNAPSHOT_INVALID'
  | 'ERR_LEAKWATCH_SNAPSHOT_TOO_LARGE'
  | 'ERR_LEAKWATCH_GZIP'
  | 'ERR_LEAKWATCH_SINK_FAILED'
  | 'ERR_LEAKWATCH_UNAUTHORIZED'
  | 'ERR_LEAKWATCH_METHOD_NOT_ALLOWED'
  | 'ERR_LEAKWATCH_NOT_FOUND'
  | 'ERR_LEAKWATCH_INTERNAL'
  | 'ERR_LEAKWATCH_PROFILER_UNAVAILABLE'
  | 'ERR_LEAKWATCH_PROFILE_INVALID'
  | 'ERR_LEAKWATCH_REDACT_FAILED'
  | 'ERR_LEAKWATCH_REPORT_FAILED'
  | 'ERR_LEAKWATCH_PROM_CLIENT_NOT_FOUND'

export class LeakwatchError extends Error {
  name: 'LeakwatchError'
  code: LeakwatchErrorCode
}

export interface LeakwatchEvents extends EventEmitter {
  on(event: 'snapshot', listener: (info: SignalSnapshotInfo) => void): this
  on(event: 'error', listener: (err: LeakwatchError) => void): this
  /** Relayed from every watchdog started with `watch()`. */
  on(event: 'stats', listener: (stats: WatchStatsEvent) => void): this
  on(event: 'leak', listener: (leak: LeakEvent) => void): this
  on(event: 'recovered', listener: (ev: RecoveredEvent) => void): this
  on(event: string | symbol, listener: (...args: any[]) => void): this
}

/** 'snapshot' and 'error' events of signal-triggered snapshots, and the 'stats', 'leak' and 'recovered' events of every watchdog started with `watch()`. */
export const events: LeakwatchEvents

/** Takes one heap snapshot; rejects with ERR_LEAKWATCH_BUSY while another is in flight. */
export function snapshot(opts?: SnapshotOptions): Promise<SnapshotInfo>

/** Takes a snapshot on each `signal` (default SIGUSR2); bursts are coalesced. */
export function onSignal(signal?: NodeJS.Signals, opts?: SnapshotOptions): SignalHandle

/** Whether 'auto' picks fork mode here (platform, architecture, Node version, main thread). */
export function forkProven(): boolean

/** The directory used when `dir` is not given: `$LEAKWATCH_DIR`, else `<os.tmpdir()>/leakwatch`, made absolute. */
export function defaultDir(): string

/** Registers an async hook run after each published snapshot (e.g. an upload); returns an unsubscribe function. A failing hook emits ERR_LEAKWATCH_SINK_FAILED and the local file stays. */
export function onSnapshot(fn: (info: SnapshotInfo) => unknown): () => void

/** Resolves once every snapshot hook started so far has finished. */
export function flushSinks(): Promise<void>

/** leakwatch's metrics in the Prometheus text format 0.0.4. */
export function metrics(): string

/** The parts of the prom-client module that registerPrometheus uses (any version >= 14). */
export interface PromClientModule {
  Registry: Function
  Gauge: Function
  Counter: Function
  Histogram: Function
}

/**
 * Registers leakwatch's metrics (the ones `metrics()` serves) on a prom-client
 * Registry as prom-client's own Gauges, Counter and Histogram; returns `register`.
 * prom-client is an optional peer dependency: leakwatch uses the copy that made
 * `register`, else the one it can require; pass `promClient` where neither works.
 * Registering on the same registry twice is a no-op; every registry gets the same metrics.
 * @throws ERR_LEAKWATCH_INVALID_OPTION `register` is no Registry, or has another metric of one of these names
 * @throws ERR_LEAKWATCH_PROM_CLIENT_NOT_FOUND no prom-client can be found
 */
export function registerPrometheus<R extends { registerMetric(metric: any): void; getSingleMetric(name: string): unknown }>(
  register: R,
  promClient?: PromClientModule,
): R

export interface SnapshotRecord {
  at: string
  result: 'success' | 'error'
  mode: 'fork' | 'inline'
  path?: string
  bytes?: number
  rawBytes?: number
  durationMs?: number
  loopBlockedMs?: number
  code?: string
  message?: string
}

export interface Status {
  pid: number
  /** The latest watchdog reading, or null without a watchdog. */
  watchdog: Record<string, unknown> | null
  /** The current 'leak' event while a leak is reported, else null. */
  leak: Record<string, unknown> | null
  /** The 20 most recent snapshots, newest first. */
  snapshots: SnapshotRecord[]
  /** The watchdog's latest 'report' (its JSON form, `text` and when), or null. */
  report: (ReturnType<import('./lib/analyze').Report['toJSON']> & { at: string; text: string }) | null
}

/** What GET /status serves. */
export function status(): Status

export interface ExpressRouterOptions {
  /** Required bearer token, at least 16 characters. */
  token: string
  /** Options for snapshots taken through POST /snapshot. */
  snapshot?: SnapshotOptions
  /** Redact every snapshot this router takes (as does `snapshot.redact`); `?redact=0` is then refused with 400. */
  redact?: boolean
}

/** A connect-style router: GET /status, POST /snapshot[?download=1][&label=x][&redact=1], GET /metrics; all behind `Authorization: Bearer <token>`. */
export function express(opts: ExpressRouterOptions): (req: any, res: any, next?: (err?: unknown) => void) => void

/** True while a snapshot is in flight. */
export function isBusy(): boolean

/** Analyzes one to three `.heapsnapshot(.gz)` files off the main thread and names leak suspects with their retaining paths. */
export const analyze: typeof analyzeFn
export const allocationSites: typeof allocationSitesFn

/** Starts a watchdog that emits 'leak' when the post-GC live heap grows with confidence; its events are also emitted on `events`. */
export function watch(opts?: WatchOptions): Watchdog

/** Runs `fn` in rounds with forced full GCs between them and measures the post-GC heap's growth per call. */
export function measureGrowth(fn: () => unknown, opts?: GrowthOptions): Promise<GrowthResult>

/** Rejects with ERR_LEAKWATCH_LEAK_DETECTED, naming the top suspects and their retaining paths, when `fn` grows the heap. */
export function assertNoLeak(fn: () => unknown, opts?: GrowthOptions): Promise<GrowthResult>

/** A V8 call frame as the inspector protocol gives it (lineNumber/columnNumber are 0-based). */
export interface SamplingHeapProfileCallFrame {
  functionName: string
  scriptId: string
  url: string
  lineNumber: number
  columnNumber: number
}

export interface SamplingHeapProfileNode {
  callFrame: SamplingHeapProfileCallFrame
  /** Bytes of sampled live objects allocated with this node as the top frame. */
  selfSize: number
  id: number
  children: SamplingHeapProfileNode[]
}

export interface SamplingHeapProfileSample {
  /** Bytes the sample stands for. */
  size: number
  /** The allocation's stack: id of a node in the tree. */
  nodeId: number
  /** Allocation order. */
  ordinal: number
}

/** V8's SamplingHeapProfile, the JSON of a `.heapprofile` file. */
export interface SamplingHeapProfile {
  head: SamplingHeapProfileNode
  samples: SamplingHeapProfileSample[]
}

export interface SamplingProfilerOptions {
  /** Mean bytes allocated between two samples. Default 524288 (512 KiB); integer in [1, 1073741824]. */
  samplingIntervalBytes?: number
}

export declare const DEFAULT_SAMPLING_INTERVAL_BYTES: number

/**
 * V8's sampling heap profiler via the in-process inspector session (no --inspect).
 * V8 has one per isolate: the SamplingProfilers of a process (the watchdog's
 * included) share it. The first start() sets the interval, a profile holds the
 * samples since then, and V8's profiler stops with the last stop().
 */
export declare class SamplingProfiler {
  /** @throws ERR_LEAKWATCH_INVALID_OPTION */
  constructor(opts?: SamplingProfilerOptions)
  readonly options: Readonly<Required<SamplingProfilerOptions>>
  readonly running: boolean
  /** True while another SamplingProfiler of this process samples too (one shared V8 profile). */
  readonly shared: boolean
  /** Bytes: the interval in effect while running (the first running profiler's); null when stopped. */
  readonly samplingIntervalBytes: number | null
  /** Starts, or joins the sampling another SamplingProfiler of this process started; idempotent.
   * @throws ERR_LEAKWATCH_PROFILER_UNAVAILABLE (no inspector), ERR_LEAKWATCH_BUSY (another inspector session, e.g. DevTools, samples). */
  start(): this
  /** Live objects sampled so far. */
  profile(): Promise<SamplingHeapProfile>
  profileSync(): SamplingHeapProfile
  /** Atomic JSON write (temp + fsync + rename, 0600). Rejects ERR_LEAKWATCH_DIR_NOT_WRITABLE / ERR_LEAKWATCH_DISK_FULL / ERR_LEAKWATCH_IO. */
  save(path: string): Promise<{ path: string; bytes: number }>
  saveSync(path: string): { path: string; bytes: number }
  /** Stops this profiler; V8's stops with the last running one. Idempotent; never throws. */
  stop(): void
}

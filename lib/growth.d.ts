// Types of lib/growth.js; index.d.ts and jest.d.ts re-export them.
import type { Suspect, AllocationSite } from './analyze'

export interface GrowthOptions {
  /** Calls per round, integer in [1, 100000000]. Default: chosen so that a round takes about 100 ms (at most 1000). */
  iterations?: number
  /** Measured rounds, each followed by forced full GCs and a heap sample; integer in [3, 10000], enough to reach `confidence`. Default 10. */
  rounds?: number
  /** Growth per call tolerated even when significant, bytes, >= 0. Default 24. */
  budgetBytesPerIteration?: number
  /** Required confidence (1 - p of a one-sided Mann-Kendall test) that the heap grows, in (0.5, 1). Default 0.99. */
  confidence?: number
  /** Calls before measuring (JIT warm-up, lazy caches), integer in [0, 1000000000]. Default: at least 300 ms and two rounds' worth, on while V8 still compiles the code. */
  warmup?: number
  /** Upper bound on the measurement in ms, checked between calls; integer in [1, 2147483647]. Default 30000. */
  timeoutMs?: number
}

export interface GrowthSample {
  /** Measured calls so far (cumulative, warm-up excluded). */
  iterations: number
  /** heapUsed + external after forced GCs. */
  bytes: number
  /** Used JS heap without compiled code. */
  heapUsed: number
  external: number
  /** V8's compiled code and bytecode with their metadata (v8.getHeapCodeStatistics()), bytes. */
  compiled: number
}

export interface GrowthResult {
  leaking: boolean
  /** Theil-Sen slope of post-GC bytes over calls. */
  bytesPerIteration: number
  /** Median growth of one round, per call: a leak must grow most rounds, not a few steps. */
  medianRoundBytesPerIteration: number
  /** Achieved confidence that the heap grows (1 - p). */
  confidence: number
  /**
   * Theil-Sen slope, bytes per iteration, of the post-GC bytes less twice V8's
   * compiled code and bytecode (what V8's compiling accounts for), in the
   * deciding window. A leak must show here too.
   */
  netBytesPerIteration: number
  /** Theil-Sen slope of V8's compiled code and bytecode, bytes per iteration (deciding window). */
  compiledBytesPerIteration: number
  /**
   * The deciding window: 'clean' (no leak in the post-GC bytes), 'leak', or
   * 'compiling' (V8's compiling accounted for the growth, and no later window
   * within the time budget showed a leak: no leak).
   */
  judgement: 'clean' | 'leak' | 'compiling'
  /** Half-windows of rounds run after the first window (plateau check, waiting for V8 to stop compiling). */
  extensions: number
  /** The judgement of every window: the first, then one per half-window added. */
  judgements: Array<'clean' | 'leak' | 'compiling'>
  /** Calls per round. */
  iterations: number
  rounds: number
  totalIterations: number
  warmupIterations: number
  /** Bytes between the first and the last sample. */
  growthBytes: number
  /** The budget applied: the option, raised to 256 B per round when rounds are very short. */
  budgetBytesPerIteration: number
  requiredConfidence: number
  samples: GrowthSample[]
  /** On a leak: the growing structures, from a three-snapshot analysis. Otherwise empty. */
  suspects: Suspect[]
  /** Calls run between snapshots for the analysis (on a leak). */
  explainCalls?: number
  /** Why the analysis failed, if it did; the verdict stands. */
  explainError?: string
  /** On a leak: allocation sites of the sampling heap profile run during the explanation. */
  allocationSites?: AllocationSite[]
  /** Why the sampling heap profiler could not run (busy: the watchdog or DevTools samples). */
  allocationError?: string
  /** Under a test runner's timeout: the snapshots (or the whole explanation) were skipped to finish in time. */
  explainSkipped?: { budgetMs: number; snapshotMs: number; estimated: boolean; neededMs: number }
  /** The analyzer's text report (on a leak). */
  report?: string
  perCallMs: number
  measureMs: number
  durationMs: number
}

/** Measures whether calling `fn` grows the heap. Options are validated (ERR_LEAKWATCH_INVALID_OPTION). */
export declare function measureGrowth(fn: () => unknown, opts?: GrowthOptions): Promise<GrowthResult>

/**
 * Resolves with the measurement if `fn` does not leak; otherwise rejects with a
 * LeakwatchError, code ERR_LEAKWATCH_LEAK_DETECTED, whose message gives bytes per
 * iteration, total growth and the top suspects with their retaining paths, and
 * whose `result` is the GrowthResult.
 */
export declare function assertNoLeak(fn: () => unknown, opts?: GrowthOptions): Promise<GrowthResult>

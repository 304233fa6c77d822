// Types of leakwatch/jest: the `toLeak` matcher.
import type { GrowthOptions, GrowthResult } from './lib/growth'

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    interface Matchers<R, T = {}> {
      /**
       * Calls the received function (sync or async) in rounds with forced GCs
       * and passes if the post-GC heap grows significantly faster than
       * `budgetBytesPerIteration`. Use as `await expect(fn).not.toLeak()`;
       * a failure names the allocating function (sampling heap profile) and,
       * within the test's timeout, the growing structure and its retaining path.
       */
      toLeak(opts?: GrowthOptions): Promise<R>
    }
  }
}

// The same matcher on `import { expect } from '@jest/globals'`, whose
// matchers come from the `expect` package rather than the global namespace.
declare module 'expect' {
  interface Matchers<R extends void | Promise<void>, T = unknown> {
    /** See `jest.Matchers.toLeak`. */
    toLeak(opts?: GrowthOptions): Promise<R>
  }
}

export interface MatcherResult {
  pass: boolean
  message(): string
}

/** For `expect.extend(matchers)` when not registered through require. */
export declare const matchers: {
  toLeak(this: unknown, received: unknown, opts?: GrowthOptions): Promise<MatcherResult>
}

export { measureGrowth, assertNoLeak } from './lib/growth'
export type { GrowthOptions, GrowthResult }

// Compiled (not run) by __test__/types.test.js: the public API as a
// TypeScript user writes it must type-check against index.d.ts.
import * as leakwatch from '../..'
import type { SnapshotInfo, LeakwatchError, Report, LeakEvent } from '../..'
import * as promClient from 'prom-client'

async function main(): Promise<void> {
  const info: SnapshotInfo = await leakwatch.snapshot({ dir: '/tmp/x', mode: 'fork', gzipLevel: 2, maxFiles: 3, label: 'a' })
  const blocked: number = info.loopBlockedMs
  const handle = leakwatch.onSignal('SIGUSR2', { mode: 'auto' })
  handle.close()
  leakwatch.events.on('snapshot', (s) => console.log(s.coalesced, s.path, blocked))
  leakwatch.events.on('error', (e: LeakwatchError) => console.log(e.code))
  leakwatch.events.on('leak', (e) => console.log(e.growthBytesPerMin))
  leakwatch.events.on('stats', (s) => console.log(s.liveHeapBytes))
  leakwatch.events.on('recovered', (r) => console.log(r))
  // @ts-expect-error: a relayed 'leak' event is typed, not any
  leakwatch.events.on('leak', (e) => console.log(e.noSuchField))
  const code: 'ERR_LEAKWATCH_CHILD_TIMEOUT' extends LeakwatchError['code'] ? true : never = true
  console.log(code)
  const off = leakwatch.onSnapshot(async (s) => s.bytes)
  off()
  await leakwatch.flushSinks()
  const text: string = leakwatch.metrics()
  const registry: promClient.Registry = leakwatch.registerPrometheus(new promClient.Registry(), promClient)
  console.log(await registry.metrics())
  const router = leakwatch.express({ token: 'x'.repeat(16), snapshot: { mode: 'inline' } })
  const report: Report = await leakwatch.analyze(['a.heapsnapshot.gz', 'b.heapsnapshot.gz'])
  console.log(report.suspects[0].path, report.toString(), text, router, leakwatch.status().snapshots.length)
  // The README's fields: the profiles read, a mapped closure's V8 position, the watchdog's analysis.
  const read: string[] = report.summary.profiles ? report.summary.profiles.files : []
  console.log(read, report.suspects[0].location?.generated?.line, report.analysis?.maxRssBytes)
  const sites = await leakwatch.allocationSites(['a.heapprofile'])
  console.log(String(sites), sites[0].frames.length)
  const dog = leakwatch.watch({ intervalMs: 1000, windowMs: 60000, minGrowthBytesPerMin: 1 << 20, confidence: 0.95, warmupMs: 1000, snapshots: 2 })
  dog.on('leak', (e: LeakEvent) => console.log(e.growthBytesPerMin, e.msToOom))
  dog.stop()
  const g = await leakwatch.measureGrowth(() => [1, 2, 3].map(String), { rounds: 10, iterations: 100 })
  console.log(g.leaking, g.bytesPerIteration)
  await leakwatch.assertNoLeak(async () => undefined, { budgetBytesPerIteration: 64 })
  // @ts-expect-error: unknown mode
  await leakwatch.snapshot({ mode: 'sometimes' })
  const dog2 = leakwatch.watch({ snapshots: 1, snapshot: { dir: '/tmp/x', maxFiles: 3, gzipLevel: 1 }, heapProfile: { when: 'always', samplingIntervalBytes: 1 << 19, saveEveryMs: 5000 } })
  dog2.on('evidence', (e) => { if (e.type === 'heap-profile') console.log(e.path, e.bytes) })
  dog2.on('snapshot', (e) => console.log(e.heapProfile))
  const prof = new leakwatch.SamplingProfiler({ samplingIntervalBytes: 65536 }).start()
  const saved: { path: string; bytes: number } = await prof.save('/tmp/x.heapprofile')
  console.log(saved, (await prof.profile()).samples.length, prof.running)
  prof.stop()
  // @ts-expect-error: unknown heapProfile policy
  leakwatch.watch({ heapProfile: { when: 'sometimes' } })
}
main()

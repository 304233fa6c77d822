'use strict'
// The trend statistics behind measureGrowth, against hand-computed values.
const { theilSen, mannKendall, judgeWindow, nextStep, median } = require('../lib/growth-stats')
// The verdict on the post-GC bytes alone, as measureGrowth's first judgement sees it.
const trend = (xs, ys, opts) => judgeWindow(xs, ys, [], opts).raw

const xs = (n) => Array.from({ length: n }, (_, i) => i)

describe('growth statistics', () => {
  test('Theil-Sen ignores a minority of outliers', () => {
    const x = xs(11)
    const y = x.map((v) => 2 * v + 1)
    y[3] = 1000
    y[8] = -500
    expect(theilSen(x, y)).toBe(2)
    expect(theilSen([1, 1], [0, 5])).toBeNaN()
    expect(median([3, 1, 2, 4])).toBe(2.5)
  })

  test('Mann-Kendall matches the textbook values, with ties', () => {
    // S = 10, Var = 5*4*15/18, z = (10-1)/sqrt(Var) = 2.2045, one-sided p = 0.01375
    const mk = mannKendall([1, 2, 3, 4, 5])
    expect(mk.s).toBe(10)
    expect(mk.variance).toBeCloseTo(16.6667, 3)
    expect(mk.z).toBeCloseTo(2.2045, 3)
    expect(mk.p).toBeCloseTo(0.01375, 4)
    // One tie group of 2: Var = (5*4*15 - 2*1*9)/18
    expect(mannKendall([1, 2, 2, 3, 4]).variance).toBeCloseTo((300 - 18) / 18, 6)
    expect(mannKendall([5, 5, 5, 5]).p).toBe(1)
    expect(mannKendall([5, 4, 3, 2, 1]).p).toBeGreaterThan(0.98)
  })

  test('a staircase is significant but not persistent; a leak is both', () => {
    const x = xs(11).map((i) => i * 2)
    const stairs = [0, 0, 3000, 3000, 3000, 3000, 6500, 6500, 6500, 6500, 9800]
    const t = trend(x, stairs, { confidence: 0.99, budget: 128 })
    expect(t.significant).toBe(true)
    expect(t.slope).toBeGreaterThan(128)
    expect(t.medianStep).toBeLessThan(128 / 4)
    expect(t.leaking).toBe(false)
    const leak = x.map((v, i) => 1000 + 300 * v + (i % 3) * 50)
    expect(trend(x, leak, { confidence: 0.99, budget: 128 }).leaking).toBe(true)
    expect(trend(x, leak, { confidence: 0.99, budget: 400 }).leaking).toBe(false)
    // One call per round: the 256 B round floor is the budget.
    expect(trend(x, leak, { confidence: 0.99, budget: 128, iterations: 1 }).budget).toBe(256)
  })

  test("growth that V8's compiled code accounts for waits for a later window", () => {
    const x = xs(11).map((i) => i * 20)
    // Bursts of compiled code and bytecode with their companions beside them, on a flat heap.
    const compiled = [0, 2112, 2112, 4224, 6336, 6336, 8448, 10560, 12672, 12672, 14784]
    const heap = compiled.map((c, i) => 50000 + 1.05 * c + (i % 2) * 40)
    const opts = { confidence: 0.99, budget: 32 }
    const w = judgeWindow(x, heap, compiled, opts)
    expect([w.raw.leaking, w.net.leaking, w.judgement]).toEqual([true, false, 'compiling'])
    expect(w.compiledSlope).toBeGreaterThan(32)
    // The same growth with 200 B per call of objects beside it is a leak.
    expect(judgeWindow(x, heap.map((y, i) => y + 200 * x[i]), compiled, opts).judgement).toBe('leak')
    expect(nextStep('compiling', null, 0, true)).toBe('extend')
    expect(nextStep('compiling', null, 0, false)).toBe('no-leak')
    expect(nextStep('leak', null, 0, false)).toBe('extend')
    expect(nextStep('compiling', 'leak', 2, false)).toBe('leak')
    expect(nextStep('leak', 'clean', 1, true)).toBe('no-leak')
    // A leak right after compiling is confirmed by one more window while time allows.
    expect(nextStep('compiling', 'leak', 1, true)).toBe('extend')
    expect(nextStep('leak', 'leak', 2, true)).toBe('leak')
  })

  test('one lone step of one-time set-up is set apart (native fetch, Node 24, loaded)', () => {
    const x = Array.from({ length: 11 }, (_, i) => i * 59)
    const heap = [14112, 16672, 38016, 47288, 26872, 45208, 106280, 114600, 97288, 110432, 115400]
    const compiled = [19238, 18088, 37811, 33344, 25644, 47828, 39736, 42309, 32386, 40863, 40863]
    const opts = { confidence: 0.99, budget: 24, iterations: 59 }
    const w = judgeWindow(x, heap, compiled, opts)
    expect([w.raw.leaking, w.net.leaking, w.judgement]).toEqual([true, false, 'compiling'])
    // 300 B per call more in every round is a leak still.
    expect(judgeWindow(x, heap.map((y, i) => y + 300 * x[i]), compiled, opts).judgement).toBe('leak')
  })
})

// One verdict module: its rules must not come back in JS beside it.
test('the verdict rules live in src/growth/mod.rs only', () => {
  const fs = require('fs')
  const path = require('path')
  for (const f of ['growth.js', 'growth-stats.js']) {
    const src = fs.readFileSync(path.join(__dirname, '..', 'lib', f), 'utf8')
    expect(src).not.toMatch(/PERSISTENCE|ROUND_FLOOR|significant:|\.leaking\s*=/)
  }
})

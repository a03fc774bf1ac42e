import { describe, expect, it } from 'vitest'
import { isPerfError, type PerfError } from '../errors.js'
import { AdaptiveBatchSize } from './adaptive-batch-size.js'

describe('AdaptiveBatchSize', () => {
  it('size starts at initial, clamped into [min, max]', () => {
    expect(new AdaptiveBatchSize({ targetBatchMs: 100 }).size).toBe(100)
    expect(new AdaptiveBatchSize({ targetBatchMs: 100, initial: 5, min: 10 }).size).toBe(10)
    expect(new AdaptiveBatchSize({ targetBatchMs: 100, initial: 500, max: 200 }).size).toBe(200)
  })

  it('record() grows a fast batch toward the target, at most maxGrowth per step', () => {
    const size = new AdaptiveBatchSize({ targetBatchMs: 100, initial: 100, max: 10_000 })
    // 100 items in 75 ms: ideal 133 items
    expect(size.record({ items: 100, durationMs: 75 })).toBe(133)
    expect(size.reason).toBe('grow')
    // 133 items in 10 ms: ideal 1330, capped at ×2
    expect(size.record({ items: 133, durationMs: 10 })).toBe(266)
    // a 0 ms batch grows by the step limit too
    expect(size.record({ items: 266, durationMs: 0 })).toBe(532)
  })

  it('record() shrinks a slow batch toward the target, at most halving per step', () => {
    const size = new AdaptiveBatchSize({ targetBatchMs: 100, initial: 1_000 })
    // 1000 items in 200 ms: ideal 500
    expect(size.record({ items: 1_000, durationMs: 200 })).toBe(500)
    expect(size.reason).toBe('shrink')
    // 500 items in 5 s: ideal 10, limited to half
    expect(size.record({ items: 500, durationMs: 5_000 })).toBe(250)
  })

  it('record() keeps the size while durations stay within tolerance of the target', () => {
    const size = new AdaptiveBatchSize({ targetBatchMs: 100, initial: 300, tolerance: 0.2 })
    for (const durationMs of [81, 100, 119, 120, 80]) expect(size.record({ items: 300, durationMs })).toBe(300)
    expect(size.reason).toBe('steady')
    expect(size.record({ items: 300, durationMs: 121 })).toBe(248)
  })

  it('record() converges on the size whose batches take targetBatchMs for a fixed per-item cost', () => {
    const size = new AdaptiveBatchSize({ targetBatchMs: 500, initial: 10, max: 100_000, tolerance: 0.05 })
    const msPerItem = 0.25 // so the ideal size is 2000
    for (let i = 0; i < 20; i++) size.record({ items: size.size, durationMs: size.size * msPerItem })
    expect(size.size).toBeGreaterThanOrEqual(1_900)
    expect(size.size).toBeLessThanOrEqual(2_100)
  })

  it('record() never leaves [min, max]', () => {
    const size = new AdaptiveBatchSize({ targetBatchMs: 100, initial: 50, min: 20, max: 80 })
    expect(size.record({ items: 50, durationMs: 1 })).toBe(80)
    expect(size.record({ items: 80, durationMs: 1 })).toBe(80)
    for (let i = 0; i < 5; i++) size.record({ items: size.size, durationMs: 10_000 })
    expect(size.size).toBe(20)
  })

  it('record() halves the size while heap use is above heapCeilingBytes, whatever the duration', () => {
    let heap = 100
    const size = new AdaptiveBatchSize({
      targetBatchMs: 100,
      initial: 400,
      heapCeilingBytes: 1_000,
      heapUsed: () => heap,
    })
    expect(size.record({ items: 400, durationMs: 10 })).toBe(800)
    heap = 1_001
    expect(size.record({ items: 800, durationMs: 10 })).toBe(400)
    expect(size.reason).toBe('heap')
    expect(size.record({ items: 400, durationMs: 10 })).toBe(200)
    heap = 1_000
    expect(size.record({ items: 200, durationMs: 10 })).toBe(400)
  })

  it('recordError() halves the size down to min, and reset() restores the initial size', () => {
    const size = new AdaptiveBatchSize({ targetBatchMs: 100, initial: 64, min: 10 })
    expect([size.recordError(), size.recordError(), size.recordError(), size.recordError()]).toEqual([32, 16, 10, 10])
    expect(size.reason).toBe('error')
    size.reset()
    expect(size.size).toBe(64)
    expect(size.reason).toBe('initial')
  })

  it('rejects malformed options with INVALID_OPTION naming the option, and bad samples with INVALID_ARGUMENT', () => {
    const cases: Array<[string, object]> = [
      ['targetBatchMs', {}],
      ['targetBatchMs', { targetBatchMs: 0 }],
      ['min', { targetBatchMs: 10, min: 0 }],
      ['max', { targetBatchMs: 10, min: 10, max: 5 }],
      ['initial', { targetBatchMs: 10, initial: 1.5 }],
      ['tolerance', { targetBatchMs: 10, tolerance: 1 }],
      ['maxGrowth', { targetBatchMs: 10, maxGrowth: 0.5 }],
      ['heapCeilingBytes', { targetBatchMs: 10, heapCeilingBytes: -1 }],
      ['heapUsed', { targetBatchMs: 10, heapUsed: 5 }],
    ]
    for (const [option, options] of cases) {
      let caught: unknown
      try {
        new AdaptiveBatchSize(options as never)
      } catch (error) {
        caught = error
      }
      expect(isPerfError(caught, 'INVALID_OPTION'), option).toBe(true)
      expect((caught as PerfError).context.option).toBe(option)
    }
    const size = new AdaptiveBatchSize({ targetBatchMs: 10 })
    expect(() => size.record({ items: 0, durationMs: 1 })).toThrow(/items/)
    expect(() => size.record({ items: 1, durationMs: Number.NaN })).toThrow(/durationMs/)
  })
})

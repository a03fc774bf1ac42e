import { afterEach, describe, expect, it, vi } from 'vitest'
import { WallClock } from './wall-clock.js'

describe('WallClock', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('at() gives the Date.now() of a performance.now() reading, in whole ms, never late and about 1 ms early at most', () => {
    const clock = new WallClock()
    for (let i = 0; i < 100; i++) {
      const before = Date.now()
      const at = clock.at(performance.now())
      const after = Date.now()
      expect(Number.isInteger(at)).toBe(true)
      // The offset is taken from two reads and a floored Date.now(): up to 1 ms and a few ns early.
      expect(at).toBeGreaterThanOrEqual(before - 2)
      expect(at).toBeLessThanOrEqual(after)
    }
  })

  it('at() reads a faked Date.now() every time', () => {
    const clock = new WallClock()
    clock.at(performance.now())
    vi.useFakeTimers({ toFake: ['Date'], now: 1_000_000 })
    expect(clock.at(performance.now())).toBe(1_000_000)
    vi.setSystemTime(5_000_000)
    expect(clock.at(performance.now())).toBe(5_000_000)
  })
})

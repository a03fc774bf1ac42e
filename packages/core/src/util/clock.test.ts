import { describe, expect, it, vi } from 'vitest'
import { monotonicClock, systemClock } from './clock.js'

describe('monotonicClock', () => {
  it('now() starts at the wall time and then follows elapsed time only: a wall clock stepped back 60 s does not move it', () => {
    let wall = 1_700_000_000_000
    let elapsed = 5_000
    const clock = monotonicClock(
      () => wall,
      () => elapsed,
    )
    expect(clock.now()).toBe(1_700_000_000_000)
    elapsed += 1_000
    wall -= 60_000 // @see issue 9: a 1 s TTL stayed fresh for 61 s after such a step
    expect(clock.now()).toBe(1_700_000_001_000)
    wall += 3_600_000
    elapsed += 500
    expect(clock.now()).toBe(1_700_000_001_500)
  })
})

describe('systemClock', () => {
  it('now() is close to Date.now() and never goes backwards', () => {
    let previous = systemClock.now()
    expect(Math.abs(previous - Date.now())).toBeLessThan(50)
    for (let i = 0; i < 10_000; i++) {
      const now = systemClock.now()
      expect(now).toBeGreaterThanOrEqual(previous)
      previous = now
    }
  })

  it('now() follows fake timers', () => {
    vi.useFakeTimers({ now: 1_000 })
    try {
      expect(systemClock.now()).toBe(1_000)
      vi.advanceTimersByTime(250)
      expect(systemClock.now()).toBe(1_250)
    } finally {
      vi.useRealTimers()
    }
  })
})

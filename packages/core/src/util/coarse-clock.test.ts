import { afterEach, describe, expect, it, vi } from 'vitest'
import { CoarseClock } from './coarse-clock.js'

afterEach(() => {
  vi.useRealTimers()
})

describe('CoarseClock', () => {
  it('now() reads an injected clock on every call', () => {
    let t = 100
    const clock = new CoarseClock({ now: () => t })
    expect(clock.now()).toBe(100)
    t = 250
    expect(clock.now()).toBe(250)
  })

  it('now() follows fake timers at once', () => {
    vi.useFakeTimers({ now: 1_000 })
    const clock = new CoarseClock()
    expect(clock.now()).toBe(1_000)
    vi.advanceTimersByTime(5)
    expect(clock.now()).toBe(1_005)
  })

  it('now() with the system clock serves one reading at most 256 times, so time moves even in a long microtask chain', async () => {
    // Counted, not timed: how late a reading is in ms depends on how busy the machine is.
    const clock = new CoarseClock()
    let run = 0
    let longest = 0
    let last = clock.now()
    const end = Date.now() + 30
    while (Date.now() < end) {
      await Promise.resolve()
      const now = clock.now()
      run = now === last ? run + 1 : 0
      longest = Math.max(longest, run)
      last = now
    }
    clock.close()
    expect(longest).toBeLessThan(256)
    expect(Math.abs(Date.now() - clock.now())).toBeLessThan(50)
  })
})

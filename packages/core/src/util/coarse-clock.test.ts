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

  it('now() with the system clock stays within a few ms of Date.now, even in a long microtask chain', async () => {
    const clock = new CoarseClock()
    let worst = 0
    const end = Date.now() + 30
    while (Date.now() < end) {
      await Promise.resolve()
      worst = Math.max(worst, Date.now() - clock.now())
    }
    clock.close()
    expect(worst).toBeLessThanOrEqual(5)
  })
})

import { NATIVE_NOW, systemClock, type Clock } from './clock.js'

/** How long a reading is reused, ms: a coarse reading may be this much behind the real time. */
export const COARSE_RESOLUTION_MS = 1
const RESOLUTION_MS = COARSE_RESOLUTION_MS
/** Reads served from one reading at most, so a long chain of microtasks (no timer can fire) still sees time move. */
const MAX_REUSE = 256

/**
 * A clock for hot paths: `Date.now()` costs ~40 ns here, more than a whole LRU hit, so a reading
 * is reused until an unref'd timer expires it (1 ms) or 256 reads have used it. Only the default
 * system clock is cached; an injected or faked clock is read on every call. The trade (as in
 * lru-cache's ttlResolution): an expiry check may see time up to ~1 ms late.
 */
export class CoarseClock implements Clock {
  private cached = 0
  private uses = 0
  private timer: ReturnType<typeof setTimeout> | undefined

  constructor(private readonly clock: Clock = systemClock) {}

  now(): number {
    // Kept tiny so V8 inlines it into callers.
    if (this.cached !== 0 && ++this.uses < MAX_REUSE && Date.now === NATIVE_NOW) return this.cached
    return this.read()
  }

  /** Stops the timer; the clock stays usable. */
  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    this.cached = 0
  }

  private read(): number {
    const now = this.clock.now()
    if (this.clock === systemClock && Date.now === NATIVE_NOW) {
      this.cached = now
      this.uses = 0
      if (this.timer === undefined) this.timer = setTimeout(this.expire, RESOLUTION_MS).unref()
    } else {
      this.cached = 0
    }
    return now
  }

  private readonly expire = (): void => {
    this.cached = 0
    this.timer = undefined
  }
}

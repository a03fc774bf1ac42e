/**
 * A source of time in milliseconds. Components take a clock option so tests can drive time;
 * the default reads `Date.now()` at call time, so vitest fake timers move it too.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
}

/** The default clock: `Date.now()`. */
export const systemClock: Clock = { now: () => Date.now() }

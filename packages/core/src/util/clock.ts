/**
 * A source of time in milliseconds. Components take a clock option so tests can drive time;
 * the default follows `Date.now()` when it is replaced (fake timers, spies), so tests move it too.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
}

/**
 * The real `Date.now`, if it is native. Fake timers (vitest, sinon) replace the global Date and
 * spies replace `Date.now`; clocks then read it on every call so faked time is seen at once.
 */
export const NATIVE_NOW: (() => number) | undefined = Function.prototype.toString
  .call(Date.now)
  .includes('[native code]')
  ? Date.now
  : undefined

/**
 * A clock that starts at `wall()` and then advances with `elapsed()` only: wall-clock
 * milliseconds that never step. An NTP step or a clock set back by hand moves `Date.now()`, not
 * this clock, so a TTL lasts its length whatever the wall clock does meanwhile.
 */
export function monotonicClock(wall: () => number = Date.now, elapsed: () => number = () => performance.now()): Clock {
  const origin = wall() - elapsed()
  return { now: () => origin + elapsed() }
}

const monotonic = monotonicClock()

/**
 * The default clock: {@link monotonicClock} over `Date.now()` and `performance.now()` (wall time at
 * start, monotonic after), or `Date.now()` itself while that is replaced (fake timers, spies).
 * Orders this process's events and drives TTLs; other machines' clocks are never compared with it.
 */
export const systemClock: Clock = { now: () => (Date.now === NATIVE_NOW ? monotonic.now() : Date.now()) }

import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { lockerSuite } from '../testing/locker-suite.js'
import type { Clock } from '../util/clock.js'
import { LocalLocker } from './local-locker.js'
import type { Lock } from './types.js'

/** A system clock that can jump forward, to lose a lock the way a long process pause would. */
class SkewClock implements Clock {
  offset = 0
  now(): number {
    return Date.now() + this.offset
  }
}

// Tests in a file run one at a time, so the clock of the locker under test is the last one built.
let clock = new SkewClock()

lockerSuite(
  'LocalLocker',
  () => {
    clock = new SkewClock()
    return new LocalLocker({ clock })
  },
  { describe, it, expect, beforeEach, afterEach },
  {
    forceExpire: (lock: Lock) => {
      clock.offset += lock.expiresAt - clock.now() + 1
    },
  },
)

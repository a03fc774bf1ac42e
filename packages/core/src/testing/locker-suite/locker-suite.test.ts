import { describe, expect, it } from 'vitest'
import { isPerfError } from '../../errors.js'
import { LocalLocker } from '../../lock/local-locker.js'
import { lockerSuite } from '../locker-suite.js'
import type { TestRunner } from '../runner.js'
import { recordingRunner } from '../__tests__/collect.js'

describe('lockerSuite', () => {
  it('lockerSuite() accepts (name, factory, runner, options) and names the outer group', () => {
    const rec = recordingRunner()
    lockerSuite('Mine', () => new LocalLocker(), rec.runner, { forceExpire: () => undefined })
    expect(rec.groups[0]).toBe('lockerSuite: Mine')
    expect(rec.groups).toEqual(
      expect.arrayContaining([
        'mutual exclusion',
        'ttl expiry',
        'fencing',
        'extend and release',
        'timeout',
        'abort',
        'using',
        'multi-resource',
      ]),
    )
    expect(rec.skipped).toEqual([])
    expect(rec.tests.length).toBeGreaterThanOrEqual(25)
  })

  it('lockerSuite() accepts (runner, factory, options) and skips missing capabilities visibly with the reason', () => {
    const rec = recordingRunner()
    lockerSuite(rec.runner, () => new LocalLocker(), {
      capabilities: { globalFencing: false, multiResource: false, abortWait: false },
    })
    expect(rec.groups[0]).toBe('lockerSuite')
    expect(rec.skipped).toHaveLength(2 + 3 + 3 + 1)
    expect(rec.skipped.filter((name) => name.includes('(skipped: capabilities.multiResource is false)'))).toHaveLength(
      3,
    )
    expect(rec.skipped.filter((name) => name.includes('(skipped: capabilities.abortWait is false)'))).toHaveLength(3)
    expect(rec.skipped.some((name) => name.includes('(skipped: options.forceExpire not provided)'))).toBe(true)
  })

  it('lockerSuite() rejects a runner without describe/it/expect with INVALID_ARGUMENT', () => {
    let caught: unknown
    try {
      lockerSuite('x', () => new LocalLocker(), {} as TestRunner)
    } catch (error) {
      caught = error
    }
    expect(isPerfError(caught, 'INVALID_ARGUMENT')).toBe(true)
  })
})

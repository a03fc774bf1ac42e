import { expect } from 'vitest'
import { isPerfError } from '../../errors.js'

/** A value whose reading throws (or that a built-in refuses), and the raw error it throws. */
export interface HostileValue {
  readonly name: string
  make(): unknown
  /** The message of the raw error reading it throws. */
  readonly raw: RegExp
}

class ThrowingConstructor {
  id = 1
}
Object.defineProperty(ThrowingConstructor.prototype, 'constructor', {
  get() {
    throw new Error('constructor boom')
  },
})

class ThrowingToJSON {
  id = 1
  toJSON(): never {
    throw new Error('toJSON boom')
  }
}

/** Values a caller might hand the codec, the copy planner, the size estimator or stableKey. */
export const HOSTILE_VALUES: readonly HostileValue[] = [
  {
    name: 'a throwing getter',
    make: () => ({
      id: 1,
      get name(): string {
        throw new Error('getter boom')
      },
    }),
    raw: /getter boom/,
  },
  {
    name: 'a proxy whose get trap throws',
    make: () =>
      new Proxy(
        { id: 1 },
        {
          get: () => {
            throw new Error('get trap boom')
          },
        },
      ),
    raw: /get trap boom/,
  },
  {
    name: 'a proxy whose ownKeys trap throws',
    make: () =>
      new Proxy(
        { id: 1 },
        {
          ownKeys: () => {
            throw new Error('ownKeys boom')
          },
        },
      ),
    raw: /ownKeys boom/,
  },
  {
    name: 'a proxy whose getPrototypeOf trap throws',
    make: () =>
      new Proxy(
        { id: 1 },
        {
          getPrototypeOf: () => {
            throw new Error('getPrototypeOf boom')
          },
        },
      ),
    raw: /getPrototypeOf boom/,
  },
  {
    name: 'a revoked proxy',
    make: () => {
      const { proxy, revoke } = Proxy.revocable({ id: 1 }, {})
      revoke()
      return proxy
    },
    raw: /revoked/,
  },
  { name: 'a proxy around a Map', make: () => new Proxy(new Map([[1, 2]]), {}), raw: /incompatible receiver/ },
  { name: 'a proxy around a Date', make: () => new Proxy(new Date(0), {}), raw: /not a Date object/ },
  {
    name: 'a plain object whose constructor getter throws',
    make: () => ({
      get constructor(): never {
        throw new Error('own constructor boom')
      },
    }),
    raw: /own constructor boom/,
  },
  {
    name: 'an instance whose constructor getter throws',
    make: () => new ThrowingConstructor(),
    raw: /constructor boom/,
  },
  { name: 'an instance whose toJSON throws', make: () => new ThrowingToJSON(), raw: /toJSON boom/ },
]

/** The hostile values that throw while any walker reads them (getters, proxy traps, revoked proxies). */
export const READS = [
  'a throwing getter',
  'a proxy whose get trap throws',
  'a proxy whose ownKeys trap throws',
  'a proxy whose getPrototypeOf trap throws',
  'a revoked proxy',
  'a plain object whose constructor getter throws',
]

/**
 * Runs `walk` on `{ user: value }` for every hostile value. Whatever happens, the raw error never
 * escapes: `walk` returns or throws UNSERIALIZABLE_VALUE naming `value.user`. The values named
 * in `mustThrow` must throw, with the raw error as `cause` and its message in the message.
 */
export function expectTypedErrors(walk: (value: unknown) => unknown, mustThrow: readonly string[]): void {
  for (const name of mustThrow)
    expect(
      HOSTILE_VALUES.map((h) => h.name),
      name,
    ).toContain(name)
  for (const hostile of HOSTILE_VALUES) {
    let error: unknown
    try {
      walk({ user: hostile.make() })
    } catch (caught) {
      error = caught
    }
    if (error === undefined) {
      expect(mustThrow, `${hostile.name} was accepted`).not.toContain(hostile.name)
      continue
    }
    expect(isPerfError(error, 'UNSERIALIZABLE_VALUE'), `${hostile.name}: ${String(error)}`).toBe(true)
    const { message, cause } = error as Error
    expect(message, hostile.name).toMatch(/ value\.user\b/)
    if (mustThrow.includes(hostile.name)) {
      expect(cause, hostile.name).toBeInstanceOf(Error)
      expect(isPerfError(cause), hostile.name).toBe(false)
      expect((cause as Error).message, hostile.name).toMatch(hostile.raw)
      expect(message, hostile.name).toMatch(hostile.raw)
    }
  }
}

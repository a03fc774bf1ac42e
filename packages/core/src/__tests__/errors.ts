import type { PerfError } from '../errors.js'

/** The error `promise` rejects with; fails the test when it resolves. */
export async function rejection<E = PerfError>(promise: Promise<unknown>): Promise<E> {
  try {
    await promise
  } catch (error) {
    return error as E
  }
  throw new Error('expected a rejection')
}

/** The error `fn` throws; fails the test when it returns. */
export function thrown<E = PerfError>(fn: () => unknown): E {
  try {
    fn()
  } catch (error) {
    return error as E
  }
  throw new Error('expected a throw')
}

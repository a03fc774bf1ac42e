import { isCluster, lostConnection, type RedisClient } from '../internal/client.js'
import { withDeadline } from '../internal/deadline.js'
import { keySlot } from '../internal/slot.js'
import { ACQUIRE, ACQUIRE_ONE, EXTEND, LEAVE_QUEUE, NEXT_FENCE, RAISE_FENCE, RELEASE, WAKE_NEXT } from './scripts.js'

/** What one node answered to an acquire attempt. */
export type NodeAttempt = { granted: true; fence: number } | { granted: false; holder: string; pttl: number }

/** How a contended attempt queues its waiter. */
export interface QueueEntry {
  /** `<lockerId>|<seq>`. */
  token: string
  /** Queue at the head (a woken waiter that lost the race to a newcomer). */
  front: boolean
  /** How long the queue may live without activity, ms. */
  ttlMs: number
}

/** Settings shared by the nodes of one locker. */
export interface NodeSettings {
  prefix: string
  /** Prefix of the per-locker wake-up channels. */
  channelPrefix: string
  timeoutMs: number
}

/** The wait queue of a lock key (same hash slot). */
export const queueKey = (lockKey: string): string => `${lockKey}:q`

/**
 * One independent Redis deployment taking part in Redlock (a single node or a whole Cluster).
 * On a Cluster, each resource's key carries its own hash tag; a multi-resource lock takes the
 * keys slot group by slot group in slot order (no CROSSSLOT, and contenders cannot livelock),
 * rolling back what it took when a later group is held.
 */
export class LockNode {
  readonly #client: RedisClient
  readonly #settings: NodeSettings
  readonly #fenceKey: string

  constructor(client: RedisClient, settings: NodeSettings) {
    this.#client = client
    this.#settings = settings
    this.#fenceKey = `${settings.prefix}fence`
  }

  acquire(keys: readonly string[], value: string, ttlMs: number, queue: QueueEntry | undefined): Promise<NodeAttempt> {
    if (!isCluster(this.#client)) {
      // The fence counter sits in the same script: one round trip for lock + token.
      const client = this.#client
      if (keys.length === 1 && queue === undefined) {
        return this.#deadline('acquire', () =>
          ACQUIRE_ONE.run(client, [keys[0] as string, this.#fenceKey], [value, Math.ceil(ttlMs)]).then(parseOne),
        )
      }
      return this.#deadline('acquire', () =>
        ACQUIRE.run(
          client,
          [...keys, ...keys.map(queueKey), this.#fenceKey],
          acquireArgs(keys, value, ttlMs, queue, true),
        ).then(parseAttempt),
      )
    }
    return this.#deadline('acquire', async () => {
      const taken: string[][] = []
      try {
        for (const group of this.#groups(keys)) {
          const attempt = parseAttempt(
            await ACQUIRE.run(
              this.#client,
              [...group, ...group.map(queueKey)],
              acquireArgs(group, value, ttlMs, queue, false),
            ),
          )
          if (!attempt.granted) {
            await this.#rollback(taken, value)
            return attempt
          }
          taken.push(group)
        }
        // The counter lives in its own slot on a Cluster: one more round trip, after the keys are ours.
        return { granted: true, fence: Number(await NEXT_FENCE.run(this.#client, [this.#fenceKey])) }
      } catch (err) {
        await this.#rollback(taken, value)
        throw err
      }
    })
  }

  extend(keys: readonly string[], value: string, ttlMs: number): Promise<boolean> {
    return this.#deadline('extend', async () => {
      for (const group of this.#groups(keys)) {
        if (Number(await EXTEND.run(this.#client, group, [value, Math.ceil(ttlMs)])) !== 1) return false
      }
      return true
    })
  }

  /** Deletes the keys this owner holds and wakes their next waiters; returns how many it held. */
  release(keys: readonly string[], value: string): Promise<number> {
    if (!isCluster(this.#client)) return this.#deadline('release', () => this.#release(keys, value))
    return this.#deadline('release', async () => {
      const counts = await Promise.all(this.#groups(keys).map((group) => this.#release(group, value)))
      return counts.reduce((sum, n) => sum + n, 0)
    })
  }

  /** Wakes the next waiter of `key` if the lock is free (the waiter it was meant for left). */
  wakeNext(key: string): Promise<unknown> {
    return this.#deadline('wake', () =>
      WAKE_NEXT.run(this.#client, [key, queueKey(key)], [this.#settings.channelPrefix]),
    )
  }

  /** Removes a waiter that gave up from the queues of `keys`. */
  leave(keys: readonly string[], token: string): Promise<unknown> {
    return this.#deadline('leave', () =>
      Promise.all(this.#groups(keys).map((group) => LEAVE_QUEUE.run(this.#client, group.map(queueKey), [token]))),
    )
  }

  raiseFence(fence: number): Promise<unknown> {
    return this.#deadline('fence', () => RAISE_FENCE.run(this.#client, [this.#fenceKey], [fence]))
  }

  #release(group: readonly string[], value: string): Promise<number> {
    return RELEASE.run(this.#client, [...group, ...group.map(queueKey)], [value, this.#settings.channelPrefix]).then(
      Number,
    )
  }

  async #rollback(groups: readonly string[][], value: string): Promise<void> {
    await Promise.allSettled(groups.map((group) => this.#release(group, value)))
  }

  #groups(keys: readonly string[]): string[][] {
    if (!isCluster(this.#client)) return [[...keys]]
    const bySlot = new Map<number, string[]>()
    for (const key of keys) {
      const slot = keySlot(key)
      bySlot.set(slot, [...(bySlot.get(slot) ?? []), key])
    }
    return [...bySlot.entries()].sort((a, b) => a[0] - b[0]).map(([, group]) => group)
  }

  #deadline<T>(operation: string, run: () => Promise<T>): Promise<T> {
    const status = lostConnection(this.#client)
    if (status !== undefined) return Promise.reject(new Error(`Redis connection is ${status}`))
    return withDeadline(run(), this.#settings.timeoutMs, `redlockLocker ${operation}`)
  }
}

function acquireArgs(
  keys: readonly string[],
  value: string,
  ttlMs: number,
  queue: QueueEntry | undefined,
  withFence: boolean,
): (string | number)[] {
  return [
    value,
    Math.ceil(ttlMs),
    withFence ? 1 : 0,
    queue?.token ?? '',
    Math.ceil(queue?.ttlMs ?? 0),
    keys.length,
    queue?.front ? 1 : 0,
  ]
}

function parseOne(reply: unknown): NodeAttempt {
  if (!Array.isArray(reply)) return { granted: true, fence: Number(reply) }
  return { granted: false, holder: String(reply[0]), pttl: Number(reply[1] ?? -1) }
}

function parseAttempt(reply: unknown): NodeAttempt {
  const [granted, a, b] = reply as [number, number | string, number | undefined]
  if (granted === 1) return { granted: true, fence: Number(a) }
  return { granted: false, holder: String(a), pttl: Number(b ?? -1) }
}

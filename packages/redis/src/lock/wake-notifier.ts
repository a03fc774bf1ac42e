import type { Cluster, Redis } from 'ioredis'
import { closeConnection, isCluster, type RedisClient } from '../internal/client.js'

/** One waiting acquire: its queue token and how to wake it. */
export interface WaiterHandle {
  /** `<lockerId>|<seq>`, as queued in Redis. */
  readonly token: string
  /** True when a wake-up arrived and has not been consumed by {@link WakeNotifier.sleep} yet. */
  woken: boolean
}

interface Entry {
  handle: WaiterHandle
  wake?: () => void
}

/**
 * Receives targeted wake-ups for this locker's waiters on one channel per locker (`<prefix>w:<id>`)
 * and one subscriber connection per Redis node. A wake-up can overtake the reply of the attempt that
 * queued the waiter (two connections), so it is remembered on the handle until the waiter sleeps.
 * A wake-up for a waiter that already left is handed to `onOrphan` so it can be passed on.
 */
export class WakeNotifier {
  readonly #clients: readonly RedisClient[]
  readonly #channel: string
  readonly #onError: (error: unknown) => void
  readonly #onOrphan: (key: string) => void
  readonly #entries = new Map<string, Entry>()
  readonly #subscribers: (Redis | Cluster)[] = []
  #seq = 0
  #starting: Promise<void> | undefined
  #connected = 0
  #closed = false

  constructor(
    clients: readonly RedisClient[],
    readonly lockerId: string,
    channel: string,
    onError: (error: unknown) => void,
    onOrphan: (key: string) => void,
  ) {
    this.#clients = clients
    this.#channel = channel
    this.#onError = onError
    this.#onOrphan = onOrphan
  }

  /** True while subscribed on at least one node. */
  get isListening(): boolean {
    return this.#connected > 0
  }

  /** Number of registered waiters. */
  get waiting(): number {
    return this.#entries.size
  }

  /**
   * Subscribes (once). Resolves as soon as one node confirms, when every node failed, or after
   * `timeoutMs`: a node that is down must not hold up waiters on the others (its subscription
   * completes by itself when it comes back).
   */
  start(timeoutMs = 1_000): Promise<void> {
    this.#starting ??= this.#start(timeoutMs)
    return this.#starting
  }

  /** Registers a waiter; call {@link leave} when its acquire ends. */
  register(): WaiterHandle {
    const handle: WaiterHandle = { token: `${this.lockerId}|${++this.#seq}`, woken: false }
    this.#entries.set(String(this.#seq), { handle })
    return handle
  }

  leave(handle: WaiterHandle): void {
    this.#entries.delete(seqOf(handle.token))
  }

  /** Resolves when the waiter is woken, after `timeoutMs`, or when `signal` aborts. Never rejects. */
  sleep(handle: WaiterHandle, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const entry = this.#entries.get(seqOf(handle.token))
    if (!entry || handle.woken || signal?.aborted || this.#closed) return Promise.resolve()
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', finish)
        entry.wake = undefined
        resolve()
      }
      const timer = setTimeout(finish, Math.max(0, timeoutMs))
      timer.unref?.()
      signal?.addEventListener('abort', finish, { once: true })
      entry.wake = finish
    })
  }

  async close(): Promise<void> {
    this.#closed = true
    for (const entry of this.#entries.values()) entry.wake?.()
    const subscribers = this.#subscribers.splice(0)
    this.#connected = 0
    await Promise.all(
      subscribers.map((subscriber) => {
        subscriber.removeAllListeners('close')
        subscriber.removeAllListeners('ready')
        return closeConnection(subscriber)
      }),
    )
  }

  async #start(timeoutMs: number): Promise<void> {
    const attempts = this.#clients.map((client) =>
      this.#subscribe(client).catch((err: unknown) => {
        this.#onError(err)
        throw err
      }),
    )
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs)
      timer.unref()
    })
    await Promise.race([Promise.any(attempts).catch(() => undefined), timeout])
    clearTimeout(timer)
  }

  async #subscribe(client: RedisClient): Promise<void> {
    if (this.#closed) return
    const subscriber = isCluster(client)
      ? client.duplicate([], { enableOfflineQueue: true })
      : client.duplicate({
          enableOfflineQueue: true,
          maxRetriesPerRequest: null,
          autoResubscribe: true,
          lazyConnect: false,
        })
    this.#subscribers.push(subscriber)
    let up = false
    const setUp = (value: boolean): void => {
      if (value !== up) this.#connected += value ? 1 : -1
      up = value
    }
    subscriber.on('error', (err: unknown) => this.#onError(err))
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.#channel) this.#deliver(message)
    })
    subscriber.on('close', () => setUp(false))
    // ioredis resubscribes on reconnect; a wake-up lost meanwhile costs a waiter at most recheckMs.
    subscriber.on('ready', () => setUp(true))
    await subscriber.subscribe(this.#channel)
    if (!this.#closed) setUp(true)
  }

  #deliver(message: string): void {
    const bar = message.lastIndexOf('|')
    const key = message.slice(0, bar)
    const entry = this.#entries.get(message.slice(bar + 1))
    if (!entry) return this.#onOrphan(key)
    entry.handle.woken = true
    entry.wake?.()
  }
}

function seqOf(token: string): string {
  return token.slice(token.lastIndexOf('|') + 1)
}

import { PerfError, isPerfError, toMs } from '@perf/core'
import type { BusHandlers, BusMessage, Duration, InvalidationBus } from '@perf/core'
import type { Cluster, Redis } from 'ioredis'
import {
  assertClient,
  closeConnection,
  isCluster,
  lostConnectionError,
  redisFailure,
  type RedisClient,
} from '../internal/client.js'
import { withDeadline } from '../internal/deadline.js'
import { assertName } from '../internal/validate.js'
import { decodeMessage, encodeMessage } from './wire.js'

/** Options for {@link redisBus}. */
export interface RedisBusOptions {
  /** Pub/sub channel shared by every instance of the application. @default 'perf:bus' */
  channel?: string
  /**
   * How often the subscriber connection is PINGed (ms). A PING unanswered within this time marks
   * the bus disconnected and reports a gap, which catches half-open connections. 0 disables.
   * @default 1000
   */
  heartbeatMs?: Duration
  /** Deadline of PUBLISH in ms. 0 disables. @default 250 */
  commandTimeoutMs?: Duration
  /**
   * How long `subscribe()` waits for Redis to confirm, in ms. When Redis is down it then resolves
   * anyway with `isConnected` false; the subscription completes (and a gap is reported) once
   * Redis is back, so start-up and `close()` never hang on a dead Redis.
   * @default 2000
   */
  subscribeTimeoutMs?: Duration
  /** Receives messages that cannot be decoded and heartbeat failures. Must not throw. */
  onError?: (error: unknown) => void
}

type Subscriber = Redis | Cluster

/**
 * An {@link InvalidationBus} on Redis pub/sub. Publishes on the client you pass; receives on a
 * duplicate of it that the bus opens (and closes). Reports a gap (`onGap`) whenever messages may
 * have been lost: the subscriber connection closed, was killed, or stopped answering PINGs.
 *
 * @example
 * const cache = createCache({ tiers: [new MemoryStore(), redisStore(redis)], bus: redisBus(redis) })
 */
export class RedisBus implements InvalidationBus {
  readonly #client: RedisClient
  readonly #channel: string
  readonly #heartbeatMs: number
  readonly #timeoutMs: number
  readonly #subscribeTimeoutMs: number
  readonly #onError: (error: unknown) => void
  readonly #handlers = new Set<BusHandlers>()
  #subscriber: Subscriber | undefined
  #starting: Promise<void> | undefined
  #heartbeat: NodeJS.Timeout | undefined
  #connected = false
  #gapPending = false
  #closed = false

  constructor(client: RedisClient, options: RedisBusOptions = {}) {
    this.#client = assertClient(client, 'redisBus')
    this.#channel = assertName(options.channel ?? 'perf:bus', 'channel', 'redisBus')
    this.#heartbeatMs = toMs(options.heartbeatMs ?? 1_000, 'heartbeatMs', 'INVALID_OPTION')
    this.#timeoutMs = toMs(options.commandTimeoutMs ?? 250, 'commandTimeoutMs', 'INVALID_OPTION')
    this.#subscribeTimeoutMs = toMs(options.subscribeTimeoutMs ?? 2_000, 'subscribeTimeoutMs', 'INVALID_OPTION')
    this.#onError = options.onError ?? (() => undefined)
  }

  /** Whether the subscriber connection is up, subscribed and answering. */
  get isConnected(): boolean {
    return this.#connected
  }

  async publish(message: BusMessage): Promise<void> {
    if (this.#closed) throw new PerfError('CACHE_CLOSED', '[perf:redis] redisBus.publish() called after close()')
    const lost = lostConnectionError(this.#client, 'redisBus.publish()')
    if (lost !== undefined) throw lost
    try {
      await withDeadline(
        this.#client.publish(this.#channel, encodeMessage(message)),
        this.#timeoutMs,
        'redisBus.publish()',
      )
    } catch (err) {
      throw redisFailure('redisBus.publish()', err)
    }
  }

  async subscribe(handlers: BusHandlers): Promise<() => Promise<void>> {
    if (this.#closed) throw new PerfError('CACHE_CLOSED', '[perf:redis] redisBus.subscribe() called after close()')
    this.#handlers.add(handlers)
    this.#starting ??= this.#start()
    await this.#starting
    return async () => {
      this.#handlers.delete(handlers)
      if (this.#handlers.size === 0) await this.#stop()
    }
  }

  /** Closes the subscriber connection the bus opened; your client stays open. */
  async close(): Promise<void> {
    this.#closed = true
    this.#handlers.clear()
    await this.#stop()
  }

  async #start(): Promise<void> {
    const subscriber = this.#duplicate()
    this.#subscriber = subscriber
    subscriber.on('message', (channel: string, payload: string) => {
      if (channel === this.#channel) this.#deliver(payload)
    })
    subscriber.on('close', () => this.#lost())
    subscriber.on('end', () => this.#lost())
    subscriber.on('ready', () => void this.#resubscribed())
    // ioredis emits 'error' on connection failures; without a listener Node would crash the process.
    subscriber.on('error', (err: unknown) => this.#onError(err))
    let confirmed: boolean
    try {
      confirmed = await withDeadline(
        subscriber.subscribe(this.#channel).then(() => true),
        this.#subscribeTimeoutMs,
        'redisBus.subscribe()',
      ).catch((err: unknown) => {
        if (isPerfError(err, 'TIER_TIMEOUT')) return false
        throw err
      })
    } catch (err) {
      this.#starting = undefined
      await this.#stop()
      throw new PerfError(
        'TIER_FAILED',
        `[perf:redis] redisBus could not subscribe to "${this.#channel}": ${(err as Error).message}`,
        { cause: err },
      )
    }
    // Not confirmed in time (Redis down): the queued SUBSCRIBE goes out on connect, and the
    // 'ready' handler then marks the bus connected and reports the gap.
    this.#connected = confirmed
    this.#gapPending = !confirmed
    if (this.#heartbeatMs > 0) {
      this.#heartbeat = setInterval(() => void this.#ping(), this.#heartbeatMs)
      this.#heartbeat.unref()
    }
  }

  #duplicate(): Subscriber {
    // The subscriber queues SUBSCRIBE until connected and retries forever: it must come back by itself.
    if (isCluster(this.#client)) return this.#client.duplicate([], { enableOfflineQueue: true, lazyConnect: false })
    return this.#client.duplicate({
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      lazyConnect: false,
      autoResubscribe: true,
    })
  }

  #deliver(payload: string): void {
    let message: BusMessage
    try {
      message = decodeMessage(payload)
    } catch (err) {
      this.#onError(err)
      return
    }
    for (const handlers of this.#handlers) {
      try {
        handlers.onMessage(message)
      } catch (err) {
        this.#onError(err)
      }
    }
  }

  #lost(): void {
    const wasConnected = this.#connected
    this.#connected = false
    this.#gapPending = true
    // Tell the engine at once (it stops trusting its L1), and again once messages flow (see #resubscribed).
    if (wasConnected) this.#gap()
  }

  async #resubscribed(): Promise<void> {
    if (!this.#gapPending || this.#closed || !this.#subscriber) return
    try {
      // Idempotent: makes sure the subscription is in place before we vouch for what follows.
      await this.#subscriber.subscribe(this.#channel)
    } catch (err) {
      this.#onError(err)
      return
    }
    this.#gapPending = false
    this.#connected = true
    this.#gap()
  }

  async #ping(): Promise<void> {
    const subscriber = this.#subscriber
    if (!subscriber || subscriber.status !== 'ready') return
    try {
      await withDeadline(subscriber.ping(), this.#heartbeatMs, 'redisBus heartbeat')
      if (this.#gapPending) await this.#resubscribed()
    } catch (err) {
      this.#onError(err)
      if (this.#connected) this.#lost()
      // A PING that times out on a 'ready' socket means a half-open connection: reconnect.
      subscriber.disconnect(true)
    }
  }

  #gap(): void {
    for (const handlers of this.#handlers) {
      try {
        handlers.onGap()
      } catch (err) {
        this.#onError(err)
      }
    }
  }

  async #stop(): Promise<void> {
    clearInterval(this.#heartbeat)
    this.#heartbeat = undefined
    this.#connected = false
    this.#starting = undefined
    const subscriber = this.#subscriber
    this.#subscriber = undefined
    if (!subscriber) return
    subscriber.removeAllListeners('close')
    subscriber.removeAllListeners('end')
    subscriber.removeAllListeners('ready')
    subscriber.on('error', () => undefined)
    await closeConnection(subscriber)
  }
}

/**
 * Creates a {@link RedisBus} on the client the application already has (it duplicates it for its
 * subscriber connection and closes only that one).
 * @throws PerfError CLIENT_INVALID, INVALID_OPTION
 * @example
 * const bus = redisBus(redis, { channel: 'myapp:cache' })
 */
export function redisBus(client: RedisClient, options: RedisBusOptions = {}): RedisBus {
  return new RedisBus(client, options)
}

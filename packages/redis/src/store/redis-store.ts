import { PerfError, createCodec, isPerfError, systemClock, toMs } from '@perf/core'
import type { CacheStore, Clock, Codec, Duration, ReadHint, StoreCapabilities, StoreEntry, StoreRead } from '@perf/core'
import type { Redis } from 'ioredis'
import {
  assertClient,
  clientKeyPrefix,
  isCluster,
  lostConnectionError,
  redisFailure,
  type RedisClient,
} from '../internal/client.js'
import { withDeadline } from '../internal/deadline.js'
import { groupBySlot } from '../internal/slot.js'
import { assertPrefix, assertWholeNumber } from '../internal/validate.js'
import { StoreLayout, entryKeyOf, escapeGlob, groupByBucket } from './layout.js'
import { CLEAR_PREFIX, DELETE_ENTRIES, INVALIDATE_TAGS, SET_ENTRY } from './scripts.js'
import { headerRest } from './entry-format.js'
import { ReadBatcher } from './read-batcher.js'

/** Options for {@link redisStore}. */
export interface RedisStoreOptions {
  /** Prefix of every key the store writes (the cache's namespace comes after it). Must not contain `{` or `}`. @default 'perf:' */
  prefix?: string
  /** Encodes values to bytes. Use the same codec (and registered classes) in every instance sharing the store. @default createCodec() */
  codec?: Codec
  /** Largest encoded value accepted, in bytes; larger values throw VALUE_TOO_LARGE before anything is written. @default 8_388_608 (8 MiB) */
  maxValueBytes?: number
  /**
   * How long a deleted key keeps a tombstone, in ms. A load whose write reaches Redis more than
   * half of this after its read, while something else in its bucket was invalidated meanwhile,
   * is not written (it can no longer be checked); its caller still gets the value. 0: no
   * tombstones, so such writes are refused whenever anything in the bucket changed.
   * @default 5000
   */
  tombstoneMs?: Duration
  /**
   * Deadline of each Redis call in ms (TIER_TIMEOUT). Under `createCache` leave it at 0: the
   * engine's `tierTimeout` already bounds every tier call, and one deadline per read is cheaper
   * than two racing timers. Set it when you call the store directly. 0 disables.
   * @default 0
   */
  commandTimeoutMs?: Duration
  /**
   * Hash-tag buckets entries are spread over on a Cluster (an entry and its tag records share a slot,
   * so a get stays one round trip). Every instance sharing the store must use the same value.
   * @default 16 for a Cluster client, 0 (no hash tags) for a single node
   */
  buckets?: number
  /** Name in cache stats and events. @default 'redis' */
  name?: string
  /** Time source for TTLs. @default systemClock */
  clock?: Clock
}

const DEFAULT_MAX_VALUE_BYTES = 8 * 1024 * 1024
// Tag and clear records outlive every entry that may carry the tag; this is the floor when no entry was seen.
const MIN_RECORD_MS = 60_000

/**
 * A {@link CacheStore} on Redis (the shared L2 tier). Reads are plain MGETs: the reads issued in
 * one tick (concurrent gets, getMany) share one MGET per hash slot, with the bucket's clock and
 * the records of the tags the engine expects. Writes, deletes, tag invalidations and clears are
 * one Lua call each. Invalidations are ordered by stamps Redis issues (scripts.ts), never by any
 * client's clock: a write whose load began before an invalidation of its key, tags or namespace
 * is refused, however close together they were and whatever the clients' clocks say.
 *
 * @example
 * const redis = new Redis(failFastOptions({ host: '127.0.0.1' }))
 * const cache = createCache({ tiers: [new MemoryStore(), redisStore(redis)], bus: redisBus(redis) })
 */
export class RedisStore implements CacheStore {
  readonly name: string
  readonly capabilities: StoreCapabilities = { tags: true, shared: true, serializes: true, versioned: true }
  readonly #client: RedisClient
  readonly #layout: StoreLayout
  readonly #codec: Codec
  readonly #maxValueBytes: number
  readonly #tombstoneMs: number
  /** How old a load's version may be for its write to be checked record by record (half the tombstone life, in µs). */
  readonly #windowUs: number
  readonly #timeoutMs: number
  readonly #clock: Clock
  readonly #reads: ReadBatcher
  /** The client's own ioredis `keyPrefix` (applied by ioredis to every key we pass, not to SCAN results). */
  readonly #clientPrefix: string
  #closed = false

  constructor(client: RedisClient, options: RedisStoreOptions = {}) {
    this.#client = assertClient(client, 'redisStore')
    const prefix = assertPrefix(options.prefix ?? 'perf:', 'redisStore', 'prefix')
    const buckets = assertWholeNumber(
      options.buckets ?? (isCluster(this.#client) ? 16 : 0),
      'buckets',
      0,
      16_384,
      'redisStore',
    )
    this.#layout = new StoreLayout(prefix, buckets)
    this.#codec = options.codec ?? createCodec()
    this.#maxValueBytes = assertWholeNumber(
      options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES,
      'maxValueBytes',
      1,
      Number.MAX_SAFE_INTEGER,
      'redisStore',
    )
    this.#tombstoneMs = toMs(options.tombstoneMs ?? 5_000, 'tombstoneMs', 'INVALID_OPTION')
    this.#windowUs = this.#tombstoneMs * 500
    this.#timeoutMs = toMs(options.commandTimeoutMs ?? 0, 'commandTimeoutMs', 'INVALID_OPTION')
    this.name = options.name ?? 'redis'
    this.#clock = options.clock ?? systemClock
    this.#clientPrefix = clientKeyPrefix(this.#client)
    this.#reads = new ReadBatcher({
      layout: this.#layout,
      codec: this.#codec,
      client: this.#client,
      timeoutMs: this.#timeoutMs,
      failure: (err) => redisFailure('redisStore.get()', err, { operation: 'get' }),
    })
  }

  get(key: string, hint?: ReadHint): Promise<StoreEntry | undefined> {
    const unusable = this.#unusable('get')
    if (unusable !== undefined) return Promise.reject(unusable)
    return new Promise((resolve, reject) => this.#reads.add({ key, tags: hint?.tags, resolve, reject }))
  }

  /** The entry and the store's version at the read, in one MGET (see {@link StoreRead}). */
  read(key: string, hint?: ReadHint): Promise<StoreRead> {
    const unusable = this.#unusable('get')
    if (unusable !== undefined) return Promise.reject(unusable)
    return new Promise((resolve, reject) =>
      this.#reads.add({
        key,
        tags: hint?.tags,
        resolve: (entry, version) => resolve({ entry, version }),
        reject,
        // Still a version: the load's write then replaces the bad entry instead of leaving it to poison the key.
        undecodable: (error, version) => resolve({ entry: undefined, version, error }),
      }),
    )
  }

  getMany(keys: readonly string[]): Promise<(StoreEntry | undefined)[]> {
    const unusable = this.#unusable('getMany')
    if (unusable !== undefined) return Promise.reject(unusable)
    // An entry that cannot be decoded is a miss of its own key; a failed MGET fails them all.
    const reads = keys.map((key) =>
      new Promise<StoreEntry | undefined>((resolve, reject) =>
        this.#reads.add({ key, tags: undefined, resolve, reject }),
      ).catch(undecodable),
    )
    return Promise.all(reads)
  }

  /**
   * Writes one entry. With `entry.version` (what {@link read} returned when the load began) the
   * write is refused, and false returned, when the key, one of the entry's tags or its namespace
   * was invalidated after that version. Without it, the entry is written at a new stamp that also
   * refuses every older load of the key.
   * @throws PerfError VALUE_TOO_LARGE, UNSERIALIZABLE_VALUE (nothing is written)
   */
  async set(key: string, entry: StoreEntry): Promise<boolean> {
    this.#assertUsable('set')
    const body = this.#encode(key, entry.value)
    const px = Math.ceil(entry.expiresAt - this.#clock.now())
    if (px <= 0) return false // already expired: writing it would only be deleted again
    const tags = entry.tags !== undefined && entry.tags.length > 0 ? entry.tags : undefined
    const bucket = this.#layout.bucketOf(key)
    const layout = this.#layout
    const keys = [
      layout.entryKey(key, bucket),
      layout.tombKey(key, bucket),
      layout.metaKey(bucket),
      layout.clockKey(bucket),
      layout.clearsKey(bucket),
    ]
    if (tags !== undefined) for (const tag of tags) keys.push(layout.tagPrefix(bucket) + tag)
    const rest = headerRest(entry, tags === undefined ? '' : JSON.stringify(tags))
    const args = [entry.version ?? '', rest, body, px, key, this.#windowUs, this.#tombstoneMs]
    return Number(await this.#call('set', SET_ENTRY.run(this.#client, keys, args))) === 1
  }

  async delete(keys: readonly string[]): Promise<number> {
    this.#assertUsable('delete')
    if (keys.length === 0) return 0
    const layout = this.#layout
    const counts = await Promise.all(
      [...groupByBucket(layout, keys, (key) => key)].map(([bucket, group]) => {
        const names = [
          layout.clockKey(bucket),
          ...group.map((key) => layout.entryKey(key, bucket)),
          ...group.map((key) => layout.tombKey(key, bucket)),
        ]
        return this.#call('delete', DELETE_ENTRIES.run(this.#client, names, [this.#tombstoneMs]))
      }),
    )
    return counts.reduce<number>((sum, n) => sum + Number(n), 0)
  }

  async invalidateTags(tags: readonly string[]): Promise<void> {
    this.#assertUsable('invalidateTags')
    if (tags.length === 0) return
    const layout = this.#layout
    // Every bucket gets the record (and a new stamp), so the entry-side read stays inside one slot.
    await Promise.all(
      layout.bucketIds.map((bucket) =>
        this.#call(
          'invalidateTags',
          INVALIDATE_TAGS.run(
            this.#client,
            [layout.clockKey(bucket), layout.metaKey(bucket), ...tags.map((tag) => layout.tagPrefix(bucket) + tag)],
            [MIN_RECORD_MS],
          ),
        ),
      ),
    )
  }

  /**
   * Removes every entry whose key starts with `prefix`: first a record in every bucket that makes
   * them misses at once (and refuses older loads), then SCAN + UNLINK to free their memory.
   */
  async clear(prefix = ''): Promise<void> {
    this.#assertUsable('clear')
    const layout = this.#layout
    await Promise.all(
      layout.bucketIds.map((bucket) =>
        this.#call(
          'clear',
          CLEAR_PREFIX.run(
            this.#client,
            [layout.clockKey(bucket), layout.metaKey(bucket), layout.clearsKey(bucket)],
            [prefix, MIN_RECORD_MS],
          ),
        ),
      ),
    )
    const nodes: Redis[] = isCluster(this.#client) ? this.#client.nodes('master') : [this.#client]
    // SCAN sees the keys as stored: with the client's own keyPrefix in front, which UNLINK adds again.
    // Clearing the whole store also drops its records and clocks: a load that read before finds
    // no clock at its write and is refused (scripts.ts), so nothing older can come back.
    const scanned = prefix === '' ? undefined : prefix
    const pattern = escapeGlob(this.#clientPrefix) + this.#layout.scanPattern(scanned)
    await Promise.all(nodes.map((node) => this.#clearNode(node, pattern, scanned)))
  }

  /** Marks the store closed; the client belongs to the caller and stays open. */
  close(): void {
    this.#closed = true
  }

  // SCAN, not KEYS: KEYS blocks the server for the whole keyspace.
  async #clearNode(node: Redis, pattern: string, keyPrefix: string | undefined): Promise<void> {
    let cursor = '0'
    do {
      const [next, stored] = await this.#call('clear', node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000))
      cursor = next
      const client = this.#clientPrefix.length
      // The glob can over-match keys containing '}e:'; keep only true entry keys of this prefix.
      const doomed =
        keyPrefix === undefined
          ? stored
          : stored.filter((key) => entryKeyOf(this.#layout, key.slice(client))?.startsWith(keyPrefix))
      // UNLINK through this node connection gets the node's own keyPrefix added again (a Cluster's
      // node connections may not carry the Cluster's): strip exactly that.
      const own = clientKeyPrefix(node).length
      const names = own === 0 ? doomed : doomed.map((key) => key.slice(own))
      for (const group of groupBySlot(names, (key) => key)) await this.#call('clear', node.unlink(...group))
    } while (cursor !== '0')
  }

  #encode(key: string, value: unknown): Buffer {
    let bytes: Uint8Array
    try {
      bytes = this.#codec.encode(value)
    } catch (err) {
      if (err instanceof PerfError) throw err
      throw new PerfError(
        'UNSERIALIZABLE_VALUE',
        `[perf:redis] value for "${key}" cannot be encoded: ${(err as Error).message}`,
        { cause: err, context: { key } },
      )
    }
    if (bytes.byteLength > this.#maxValueBytes) {
      throw new PerfError(
        'VALUE_TOO_LARGE',
        `[perf:redis] value for "${key}" is ${bytes.byteLength} bytes encoded, above maxValueBytes=${this.#maxValueBytes}`,
        {
          context: { key, bytes: bytes.byteLength, maxValueBytes: this.#maxValueBytes },
        },
      )
    }
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  #assertUsable(operation: string): void {
    const unusable = this.#unusable(operation)
    if (unusable !== undefined) throw unusable
  }

  #unusable(operation: string): PerfError | undefined {
    if (this.#closed)
      return new PerfError('CACHE_CLOSED', `[perf:redis] redisStore.${operation}() called after close()`)
    return lostConnectionError(this.#client, `redisStore.${operation}()`, { operation })
  }

  async #call<T>(operation: string, promise: Promise<T>): Promise<T> {
    try {
      return await withDeadline(promise, this.#timeoutMs, `redisStore.${operation}()`)
    } catch (err) {
      throw redisFailure(`redisStore.${operation}()`, err, { operation })
    }
  }
}

function undecodable(error: unknown): undefined {
  if (isPerfError(error, 'DECODE_FAILED')) return undefined
  throw error
}

/**
 * Creates a {@link RedisStore} over the ioredis client (or Cluster) the application already has.
 * @throws PerfError CLIENT_INVALID when `client` is not an ioredis Redis/Cluster; INVALID_OPTION
 * @example
 * const cache = createCache({ tiers: [new MemoryStore(), redisStore(redis, { prefix: 'app:' })] })
 */
export function redisStore(client: RedisClient, options: RedisStoreOptions = {}): RedisStore {
  return new RedisStore(client, options)
}

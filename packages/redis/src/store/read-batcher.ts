import { PerfError } from '@perf/core'
import type { Codec, StoreEntry } from '@perf/core'
import { decodeHeader } from './entry-format.js'
import type { RedisClient } from '../internal/client.js'
import { settleWithin } from '../internal/deadline.js'
import { TickQueue } from '../internal/tick-queue.js'
import { groupByBucket, type StoreLayout } from './layout.js'

const MAX_LEARNED_KEYS = 10_000
/** Reads per MGET: ~500 keys cost Redis ~0.1 ms, so a burst of reads never holds it for long. */
const MAX_READS_PER_MGET = 500
/** Replies 0 and 1 of every MGET: the bucket's clock and its namespace clears. */
const CLOCK = 0
const CLEARS = 1
const FIRST_ENTRY = 2

/** One read waiting for the next flush. `tags`: the tags the engine expects (a hint). */
export interface PendingRead {
  key: string
  tags: readonly string[] | undefined
  /** The entry (undefined: absent, or invalidated after it was written) and the bucket's version at the read. */
  resolve(entry: StoreEntry | undefined, version: string): void
  reject(error: unknown): void
  /** An entry that cannot be decoded; by default the read rejects with `error`. */
  undecodable?(error: unknown, version: string): void
}

interface ReadBatcherDeps {
  layout: StoreLayout
  codec: Codec
  client: RedisClient
  /** Deadline of one MGET, ms (0: none). */
  timeoutMs: number
  /** The typed error a failed or timed-out MGET rejects its reads with. */
  failure(error: unknown): unknown
}

type Replies = (Buffer | null)[]

/** A read whose entry is decoded but whose tags' records are still being fetched. */
interface Unresolved {
  read: PendingRead
  entry: StoreEntry
  version: number
  tags: string[]
}

/**
 * Coalesces the reads issued in one tick into one MGET per bucket (hash slot): the bucket's clock
 * and namespace clears, the entries, then the tag records the callers' hints name, deduplicated.
 * An entry is returned only when no record of its tags or namespace is newer than the version it
 * was loaded at (scripts.ts); every read also gets the clock's value, the version a load that
 * starts now is written at. An entry carrying a tag the hint did not name costs a second MGET for
 * those tag records only: the hint saves a round trip, it never decides correctness.
 *
 * Any bytes at any key end as a DECODE_FAILED rejection of that read alone: nothing thrown while
 * delivering escapes to the event loop, and the other reads of the MGET are answered.
 */
export class ReadBatcher {
  readonly #queue = new TickQueue<PendingRead>((reads) => this.#run(reads), MAX_READS_PER_MGET)
  /**
   * Tags of tagged entries read without a (complete) hint, by key, so the next read of the key
   * without a hint (`cache.get()`, `getMany()`) is one round trip again. Bounded; oldest dropped.
   */
  readonly #learned = new Map<string, readonly string[]>()

  constructor(private readonly deps: ReadBatcherDeps) {}

  add(read: PendingRead): void {
    if (read.tags === undefined && this.#learned.size > 0) read.tags = this.#learned.get(read.key)
    this.#queue.add(read)
  }

  #learn(key: string, tags: readonly string[]): void {
    this.#learned.delete(key)
    this.#learned.set(key, tags)
    if (this.#learned.size > MAX_LEARNED_KEYS) this.#learned.delete(this.#learned.keys().next().value as string)
  }

  #run(queue: PendingRead[]): void {
    const { layout } = this.deps
    if (layout.buckets === 0) this.#readBucket(0, queue)
    else for (const [bucket, group] of groupByBucket(layout, queue, (read) => read.key)) this.#readBucket(bucket, group)
  }

  #readBucket(bucket: number, reads: PendingRead[]): void {
    const { layout } = this.deps
    const tagPrefix = layout.tagPrefix(bucket)
    const keys = new Array<string>(reads.length + FIRST_ENTRY)
    keys[CLOCK] = layout.clockKey(bucket)
    keys[CLEARS] = layout.clearsKey(bucket)
    // Tag record -> index of its reply; built only when some read brought a hint.
    let tagAt: Map<string, number> | undefined
    for (let i = 0; i < reads.length; i++) {
      const read = reads[i] as PendingRead
      keys[i + FIRST_ENTRY] = layout.entryKey(read.key, bucket)
      if (read.tags === undefined) continue
      tagAt ??= new Map()
      for (const tag of read.tags) {
        if (!tagAt.has(tag)) {
          tagAt.set(tag, keys.length)
          keys.push(tagPrefix + tag)
        }
      }
    }
    this.#mget(keys, reads, (replies) => this.#deliver(tagPrefix, reads, replies, tagAt))
  }

  /**
   * One MGET under the deadline, without promise layers (this runs once per L2 hit): `then` calls
   * back with the replies; a failure or the deadline rejects every read of the batch. Whatever
   * `then` throws rejects the reads it had not answered (a rejection twice is a no-op).
   */
  #mget(keys: string[], reads: readonly PendingRead[], then: (replies: Replies) => void): void {
    const rejectAll = (error: unknown): void => {
      for (const read of reads) read.reject(error)
    }
    settleWithin(
      this.deps.client.mgetBuffer(keys) as Promise<Replies>,
      this.deps.timeoutMs,
      'redisStore.get()',
      this.deps.failure,
      (replies) => {
        try {
          then(replies)
        } catch (error) {
          rejectAll(
            error instanceof PerfError
              ? error
              : new PerfError(
                  'DECODE_FAILED',
                  `[perf:redis] reading entries failed: ${String((error as Error)?.message ?? error)}`,
                  { cause: error },
                ),
          )
        }
      },
      rejectAll,
    )
  }

  #deliver(tagPrefix: string, reads: PendingRead[], replies: Replies, tagAt: Map<string, number> | undefined): void {
    const versionText = clockVersion(replies[CLOCK])
    const clears = parseClears(replies[CLEARS])
    let unresolved: Unresolved[] | undefined
    for (let i = 0; i < reads.length; i++) {
      const read = reads[i] as PendingRead
      const raw = replies[i + FIRST_ENTRY]
      if (raw === null || raw === undefined) {
        read.resolve(undefined, versionText)
        continue
      }
      let entry: StoreEntry
      let version: number
      let tags: string[] | undefined
      try {
        const header = decodeHeader(raw, read.key)
        if (header === undefined || clearedAfter(clears, read.key, header.version)) {
          read.resolve(undefined, versionText)
          continue
        }
        version = header.version
        entry = {
          value: this.deps.codec.decode(header.body),
          createdAt: header.createdAt,
          staleAt: header.staleAt,
          expiresAt: header.expiresAt,
        }
        tags = header.tags
      } catch (error) {
        if (read.undecodable === undefined) read.reject(error)
        else read.undecodable(error, versionText)
        continue
      }
      if (tags === undefined || tags.length === 0) {
        read.resolve(entry, versionText)
        continue
      }
      entry.tags = tags
      let complete = true
      let valid = true
      for (const tag of tags) {
        const at = tagAt?.get(tag)
        if (at === undefined) complete = false
        else if (stamp(replies[at]) > version) valid = false
      }
      if (!valid) read.resolve(undefined, versionText)
      else if (complete) read.resolve(entry, versionText)
      else {
        this.#learn(read.key, tags)
        ;(unresolved ??= []).push({ read, entry, version, tags })
      }
    }
    if (unresolved !== undefined) this.#completeTags(tagPrefix, unresolved, tagAt, versionText)
  }

  /** Second round trip: the tag records entries carry that no hint named. */
  #completeTags(
    tagPrefix: string,
    unresolved: Unresolved[],
    known: Map<string, number> | undefined,
    versionText: string,
  ): void {
    const missing = new Map<string, number>()
    const keys: string[] = []
    for (const { tags } of unresolved) {
      for (const tag of tags) {
        if (known?.has(tag) !== true && !missing.has(tag)) {
          missing.set(tag, keys.length)
          keys.push(tagPrefix + tag)
        }
      }
    }
    this.#mget(
      keys,
      unresolved.map((u) => u.read),
      (replies) => {
        for (const { read, entry, version, tags } of unresolved) {
          const at = tags.map((tag) => missing.get(tag))
          read.resolve(at.some((i) => i !== undefined && stamp(replies[i]) > version) ? undefined : entry, versionText)
        }
      },
    )
  }
}

/** The newest stamp the clock holds ("s1,s2,…"), the version a load starting now is written at. */
function clockVersion(raw: Buffer | null | undefined): string {
  if (raw === null || raw === undefined) return '0'
  const comma = raw.indexOf(44)
  const text = raw.toString('latin1', 0, comma < 0 ? raw.length : comma)
  return /^\d{1,16}$/.test(text) ? text : '0'
}

/** A record's stamp; unreadable text counts as newer than everything (a miss, never a stale hit). */
function stamp(raw: Buffer | null | undefined): number {
  if (raw === null || raw === undefined) return 0
  const n = Number(raw.toString('latin1'))
  return Number.isFinite(n) ? n : Number.POSITIVE_INFINITY
}

type Clears = [prefix: string, stamp: number][] | 'unreadable' | undefined

function parseClears(raw: Buffer | null | undefined): Clears {
  if (raw === null || raw === undefined) return undefined
  try {
    const parsed: unknown = JSON.parse(raw.toString('utf8'))
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'unreadable'
    return Object.entries(parsed as Record<string, unknown>).map(([prefix, s]) => [
      prefix,
      typeof s === 'string' || typeof s === 'number' ? Number(s) : Number.NaN,
    ])
  } catch {
    return 'unreadable'
  }
}

/** Whether a namespace clear newer than `version` covers `key` (an unreadable record covers everything). */
function clearedAfter(clears: Clears, key: string, version: number): boolean {
  if (clears === undefined) return false
  if (clears === 'unreadable') return true
  for (const [prefix, s] of clears) if (!(s <= version) && key.startsWith(prefix)) return true
  return false
}

import type { Codec, StoreEntry } from '@perf/core'
import { decodeHeader } from './entry-format.js'
import type { RedisClient } from '../internal/client.js'
import { settleWithin } from '../internal/deadline.js'
import { TickQueue } from '../internal/tick-queue.js'
import { groupByBucket, type StoreLayout } from './layout.js'

const MAX_LEARNED_KEYS = 10_000
/** Reads per MGET: ~500 keys cost Redis ~0.1 ms, so a burst of reads never holds it for long. */
const MAX_READS_PER_MGET = 500

/** One read waiting for the next flush. `tags`: the tags the engine expects (a hint). */
export interface PendingRead {
  key: string
  tags: readonly string[] | undefined
  resolve(entry: StoreEntry | undefined): void
  reject(error: unknown): void
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

/** A read whose entry is decoded but whose tags' invalidation times are still being fetched. */
interface Unresolved {
  read: PendingRead
  entry: StoreEntry
  tags: string[]
}

/**
 * Coalesces the reads issued in one tick into one MGET per bucket (hash slot): entries first,
 * then the tag records the callers' hints name, deduplicated. An entry carrying a tag the hint did
 * not name costs a second MGET for those tag records only, so the answer is always complete: the
 * hint saves a round trip, it never decides correctness.
 *
 * 100 concurrent cache reads become one command and one reply instead of 100 of each; a single
 * read waits only until the end of the current tick.
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
    const keys = new Array<string>(reads.length)
    // Tag record -> index of its reply; built only when some read brought a hint.
    let tagAt: Map<string, number> | undefined
    for (let i = 0; i < reads.length; i++) {
      const read = reads[i] as PendingRead
      keys[i] = layout.entryKey(read.key, bucket)
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
   * back with the replies; a failure or the deadline rejects every read of the batch.
   */
  #mget(keys: string[], reads: readonly PendingRead[], then: (replies: Replies) => void): void {
    settleWithin(this.deps.client.mgetBuffer(keys) as Promise<Replies>, this.deps.timeoutMs, 'redisStore.get()', this.deps.failure, then, (error) => {
      for (const read of reads) read.reject(error)
    })
  }

  #deliver(tagPrefix: string, reads: PendingRead[], replies: Replies, tagAt: Map<string, number> | undefined): void {
    let unresolved: Unresolved[] | undefined
    for (let i = 0; i < reads.length; i++) {
      const read = reads[i] as PendingRead
      const raw = replies[i]
      if (raw === null || raw === undefined) {
        read.resolve(undefined)
        continue
      }
      let entry: StoreEntry
      let tags: string[] | undefined
      try {
        const header = decodeHeader(raw, read.key)
        entry = { value: this.deps.codec.decode(header.body), createdAt: header.createdAt, staleAt: header.staleAt, expiresAt: header.expiresAt }
        tags = header.tags
      } catch (error) {
        read.reject(error)
        continue
      }
      if (tags === undefined || tags.length === 0) {
        read.resolve(entry)
        continue
      }
      entry.tags = tags
      let latest = 0
      let complete = true
      for (const tag of tags) {
        const at = tagAt?.get(tag)
        if (at === undefined) {
          complete = false
          continue
        }
        const t = tagTime(replies[at])
        if (t > latest) latest = t
      }
      entry.tagsInvalidatedAt = latest
      if (complete) read.resolve(entry)
      else {
        this.#learn(read.key, tags)
        ;(unresolved ??= []).push({ read, entry, tags })
      }
    }
    if (unresolved !== undefined) this.#completeTags(tagPrefix, unresolved, tagAt)
  }

  /** Second round trip: the tag records entries carry that no hint named. */
  #completeTags(tagPrefix: string, unresolved: Unresolved[], known: Map<string, number> | undefined): void {
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
    this.#mget(keys, unresolved.map((u) => u.read), (replies) => this.#finishTags(unresolved, missing, replies))
  }

  #finishTags(unresolved: Unresolved[], missing: Map<string, number>, replies: Replies): void {
    for (const { read, entry, tags } of unresolved) {
      let latest = entry.tagsInvalidatedAt ?? 0
      for (const tag of tags) {
        const at = missing.get(tag)
        if (at === undefined) continue
        const t = tagTime(replies[at])
        if (t > latest) latest = t
      }
      entry.tagsInvalidatedAt = latest
      read.resolve(entry)
    }
  }
}

function tagTime(raw: Buffer | null | undefined): number {
  return raw === null || raw === undefined ? 0 : Number(raw.toString('latin1'))
}

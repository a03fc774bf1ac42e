import type { AsyncLocalStorage } from 'node:async_hooks'
import diagnosticsChannel from 'node:diagnostics_channel'
import { CHANNELS } from '../util/diagnostics.js'
import type { ScopeState } from './scope-state.js'

/**
 * Attributes the cache engine's lookups to the scope they run in. The engine publishes every hit,
 * stale or grace answer and every loader miss on `perf:cache`; a subscriber runs synchronously in
 * the publisher's async context, so this tracker's AsyncLocalStorage names the scope. It listens
 * only while one of its scopes is open: no cost to caches otherwise, and nothing left subscribed
 * by a monitor that is dropped without close(). The channel is process-wide, so a cache from
 * another copy of @perf/core (ESM next to CJS) is counted too.
 */
export class ScopeCacheAttribution {
  #open = 0
  readonly #storage: AsyncLocalStorage<ScopeState>
  readonly #listener = (message: unknown): void => {
    const state = this.#storage.getStore()
    if (state === undefined || state.ended) return
    const type = (message as { type?: unknown } | null)?.type
    if (type === 'hit' || type === 'stale' || type === 'grace' || type === 'miss') state.cache[type]++
  }

  constructor(storage: AsyncLocalStorage<ScopeState>) {
    this.#storage = storage
  }

  opened(): void {
    if (this.#open++ === 0) diagnosticsChannel.subscribe(CHANNELS.cache, this.#listener)
  }

  closed(): void {
    if (--this.#open === 0) diagnosticsChannel.unsubscribe(CHANNELS.cache, this.#listener)
  }
}

import type { BusMessage, InvalidationBus } from '../types.js'
import type { CacheEvents } from './cache-events.js'
import type { Flights } from './flights.js'
import type { LocalOrder } from './local-order.js'
import type { TierStack } from './tier-stack.js'

/**
 * Keeps this instance's local tiers coherent with the others through the bus. A message is
 * applied at this process's stamp on arrival: the sender's `at` is another machine's clock and
 * decides nothing, so a skewed or lying sender can cost extra misses, never a stale read.
 */
export class BusSync {
  private unsubscribe: Promise<(() => Promise<void>) | undefined> | undefined
  private closed = false

  constructor(
    private readonly bus: InvalidationBus | undefined,
    readonly instanceId: string,
    private readonly prefix: string,
    private readonly parts: { order: LocalOrder; flights: Flights; tiers: TierStack; events: CacheEvents },
  ) {
    if (bus !== undefined) this.unsubscribe = this.subscribe(bus)
  }

  /** Resolves once the subscription (if any) is live. */
  async ready(): Promise<void> {
    await this.unsubscribe
  }

  /** Publishes; resolves false (reported) when the bus did not take it. */
  async publish(message: BusMessage): Promise<boolean> {
    if (this.bus === undefined) return true
    try {
      await this.bus.publish(message)
      return true
    } catch (error) {
      this.reportError(error)
      return false
    }
  }

  async close(): Promise<void> {
    this.closed = true
    const unsubscribe = await this.unsubscribe?.catch(() => undefined)
    await unsubscribe?.().catch(() => undefined)
  }

  private async subscribe(bus: InvalidationBus): Promise<(() => Promise<void>) | undefined> {
    try {
      const unsubscribe = await bus.subscribe({ onMessage: (m) => this.receive(m), onGap: () => this.gap() })
      // What was cached locally before the subscription was live may have missed an invalidation
      // published meanwhile (a slow SUBSCRIBE on a loaded machine): it is not vouched for either.
      // The shared tier still holds it, at a version that saw every invalidation. (Without a shared
      // tier the local copy is the only one, and a value set before the subscription stays.)
      // Loads in flight stay: what they write to the shared tier is checked against its versions.
      if (this.parts.tiers.hasShared && !this.closed) this.clearLocal()
      return unsubscribe
    } catch (error) {
      this.reportError(error)
      return undefined
    }
  }

  private receive(message: BusMessage): void {
    try {
      this.apply(message)
    } catch (error) {
      // A bus may hand over anything; a malformed message must not take the process down.
      this.reportError(error)
    }
  }

  private apply(message: BusMessage): void {
    const { order, flights, tiers, events } = this.parts
    if (this.closed || message.source === this.instanceId || message.namespace !== events.namespace) return
    if (message.type === 'delete') {
      const keys = message.keys.filter((k) => typeof k === 'string' && k.startsWith(this.prefix))
      order.invalidateKeys(keys)
      flights.invalidateKeys(keys)
      tiers.forLocal('delete', (s) => s.delete(keys))
    } else if (message.type === 'tags') {
      const tags = message.tags.filter((t) => typeof t === 'string')
      order.invalidateTags(tags)
      flights.invalidateTags(tags)
    } else if (message.type === 'clear') {
      order.invalidateAll()
      flights.invalidateAll()
      this.clearLocal()
    }
  }

  /** Messages may have been lost: nothing local can be vouched for, so it all goes. */
  private gap(): void {
    const { flights, events } = this.parts
    events.emit({ type: 'bus-gap', namespace: events.namespace })
    // Loads in flight may carry what a lost message invalidated: they are not written back.
    flights.invalidateAll()
    this.clearLocal()
  }

  /** Drops this namespace from every local tier (the shared tier is left alone). */
  private clearLocal(): void {
    this.parts.tiers.forLocal('clear', (s) => s.clear(this.prefix))
  }

  private reportError(error: unknown): void {
    this.parts.events.emit({ type: 'bus-error', error, namespace: this.parts.events.namespace })
  }
}

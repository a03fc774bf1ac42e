import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { BusHandlers, BusMessage, InvalidationBus } from '../../cache/types.js'
import { thrown } from '../../__tests__/errors.js'
import { isPerfError } from '../../errors.js'
import { invalidationBusSuite } from '../invalidation-bus-suite.js'
import type { TestRunner } from '../runner.js'
import { recordingRunner } from '../__tests__/collect.js'

/** An in-process transport of string payloads per scope, delivered asynchronously in order. */
class Hub {
  readonly #scopes = new Map<string, Set<(payload: string) => void>>()
  send(scope: string, payload: string): void {
    for (const receive of this.#scopes.get(scope) ?? []) setImmediate(() => receive(payload))
  }
  join(scope: string, receive: (payload: string) => void): () => void {
    const set = this.#scopes.get(scope) ?? new Set()
    this.#scopes.set(scope, set.add(receive))
    return () => void set.delete(receive)
  }
}

/**
 * A minimal bus on {@link Hub} to prove the suite on (core has no InvalidationBus of its own).
 * `dropSource` loses the source on the wire: a broken bus the suite must catch.
 */
class HubBus implements InvalidationBus {
  readonly #handlers = new Set<BusHandlers>()
  #leave: (() => void) | undefined
  constructor(
    readonly hub: Hub,
    readonly scope: string,
    readonly dropSource = false,
  ) {}

  get isConnected(): boolean {
    return this.#leave !== undefined
  }

  async publish(message: BusMessage): Promise<void> {
    this.hub.send(this.scope, JSON.stringify(this.dropSource ? { ...message, source: '' } : message))
  }

  async subscribe(handlers: BusHandlers): Promise<() => Promise<void>> {
    this.#handlers.add(handlers)
    this.#leave ??= this.hub.join(this.scope, (payload) => this.#receive(payload))
    return async () => {
      this.#handlers.delete(handlers)
      if (this.#handlers.size === 0) this.#stop()
    }
  }

  async close(): Promise<void> {
    this.#handlers.clear()
    this.#stop()
  }

  /** Drops the subscription and joins again, reporting the gap. */
  reconnect(): void {
    this.#leave?.()
    this.#leave = this.hub.join(this.scope, (payload) => this.#receive(payload))
    for (const handlers of this.#handlers) handlers.onGap()
  }

  #stop(): void {
    this.#leave?.()
    this.#leave = undefined
  }

  #receive(payload: string): void {
    let message: BusMessage
    try {
      message = JSON.parse(payload) as BusMessage
    } catch {
      return
    }
    if (typeof message !== 'object' || message === null || !['delete', 'tags', 'clear'].includes(message.type)) return
    for (const handlers of this.#handlers) {
      try {
        handlers.onMessage(message)
      } catch {
        // a failing handler must not keep the message from the others
      }
    }
  }
}

const hub = new Hub()
invalidationBusSuite(
  'HubBus (in-process test double)',
  ({ scope }) => new HubBus(hub, scope),
  { describe, it, expect, beforeEach, afterEach },
  {
    reconnect: (bus) => (bus as HubBus).reconnect(),
    injectGarbage: (scope) => ['not json', 'null', '{"type":"nope"}'].forEach((junk) => hub.send(scope, junk)),
  },
)

describe('invalidationBusSuite', () => {
  it('invalidationBusSuite() registers every group and skips tests of missing hooks and capabilities visibly', () => {
    const rec = recordingRunner()
    invalidationBusSuite(rec.runner, ({ scope }) => new HubBus(hub, scope), {
      capabilities: { connectionState: false },
    })
    expect(rec.groups).toEqual([
      'invalidationBusSuite',
      'delivery',
      'order',
      'unsubscribe and close',
      'gaps and malformed messages',
    ])
    expect(rec.tests.length).toBeGreaterThanOrEqual(10)
    expect(rec.skipped).toHaveLength(3)
    for (const reason of [
      'options.reconnect not provided',
      'options.injectGarbage not provided',
      'capabilities.connectionState is false',
    ]) {
      expect(rec.skipped.some((name) => name.endsWith(`(skipped: ${reason})`))).toBe(true)
    }
  })

  it('invalidationBusSuite() catches a bus that loses the source on the way', async () => {
    const rec = recordingRunner()
    invalidationBusSuite('broken', ({ scope }) => new HubBus(hub, scope, true), rec.runner)
    const test = rec.tests.find((t) => t.title.startsWith('publish() delivers delete, tags and clear'))
    await expect(Promise.resolve().then(() => test?.fn())).rejects.toThrow(/to deeply equal/)
  })

  it('invalidationBusSuite() rejects a malformed runner or options with INVALID_ARGUMENT', () => {
    const factory = ({ scope }: { scope: string }) => new HubBus(hub, scope)
    const rec = recordingRunner()
    const calls = [
      () => invalidationBusSuite('x', factory, {} as TestRunner),
      () => invalidationBusSuite(rec.runner, factory, { deliveryTimeoutMs: 0 }),
    ]
    for (const call of calls) {
      const caught = thrown<unknown>(call)
      expect(isPerfError(caught, 'INVALID_ARGUMENT')).toBe(true)
    }
  })
})

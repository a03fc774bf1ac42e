import { randomUUID } from 'node:crypto'
import type { BusHandlers, BusMessage, InvalidationBus } from '../../cache/types.js'
import { skipWithReason, type TestRunner } from '../runner.js'

/**
 * Builds one bus instance (one process's view of the bus). Instances built with the same `scope`
 * must exchange messages (Redis: one channel); instances of different scopes must not.
 */
export type InvalidationBusFactory = (options: { scope: string }) => InvalidationBus | Promise<InvalidationBus>

/** What a bus supports; tests that need a missing capability are skipped with the reason. */
export interface InvalidationBusCapabilities {
  /** The bus defines `isConnected` (true once subscribed, false after close). @default true */
  connectionState?: boolean
}

/** Options for `invalidationBusSuite`. */
export interface InvalidationBusSuiteOptions {
  /**
   * Breaks the subscriber connection of `bus` so it has to reconnect, as a network blip or a
   * server restart would (Redis: CLIENT KILL its subscriber connection). Without it the gap test is skipped.
   */
  reconnect?: (bus: InvalidationBus) => void | Promise<void>
  /**
   * Puts malformed payloads on the transport of `scope`, bypassing `publish` (Redis: PUBLISH junk to
   * the channel with a plain client). Without it the malformed-message test is skipped.
   */
  injectGarbage?: (scope: string) => void | Promise<void>
  /** How long a message may take to arrive, ms. @default 3_000 */
  deliveryTimeoutMs?: number
  /** Prefix of every scope (scopes are also unique per test). @default 'perf-bus-suite' */
  prefix?: string
  /** Timeout of each test, ms. @default 30_000 */
  testTimeoutMs?: number
  /** Capabilities; every one defaults to true. */
  capabilities?: InvalidationBusCapabilities
  /** Disposes a bus after each test. @default calls `bus.close()` when present */
  dispose?: (bus: InvalidationBus) => void | Promise<void>
}

/** Records what a subscription delivers. */
export interface Recorder {
  readonly messages: BusMessage[]
  readonly gaps: number
  readonly handlers: BusHandlers
}

/** The buses of one test: all share one scope unless built with another. */
export interface BusWorld {
  readonly scope: string
  /** A new bus instance on this test's scope (or on `scope`). */
  bus(scope?: string): Promise<InvalidationBus>
  /** A bus instance with one subscribed recorder. */
  subscriber(scope?: string): Promise<{ bus: InvalidationBus; recorder: Recorder; unsubscribe: () => Promise<void> }>
}

/** Everything a group needs to register its tests. Internal to the suite. */
export interface SuiteContext {
  readonly runner: TestRunner
  readonly options: InvalidationBusSuiteOptions
  readonly capabilities: Required<InvalidationBusCapabilities>
  readonly deliveryMs: number
  /** Registers a test that gets fresh buses, disposed afterwards. */
  test(name: string, fn: (world: BusWorld) => Promise<void>): void
  /** Registers the test, or a visible skip with `reason` when `supported` is false. */
  testIf(supported: boolean, reason: string, name: string, fn: (world: BusWorld) => Promise<void>): void
}

/** Builds the context shared by the groups. */
export function createSuiteContext(
  runner: TestRunner,
  factory: InvalidationBusFactory,
  options: InvalidationBusSuiteOptions,
): SuiteContext {
  const timeout = options.testTimeoutMs ?? 30_000
  const prefix = options.prefix ?? 'perf-bus-suite'
  const dispose = options.dispose ?? ((bus: InvalidationBus) => bus.close?.())
  const test = (name: string, fn: (world: BusWorld) => Promise<void>): void => {
    runner.it(
      name,
      async () => {
        const buses: InvalidationBus[] = []
        const scope = `${prefix}:${randomUUID()}`
        const bus = async (on = scope): Promise<InvalidationBus> => {
          const created = await factory({ scope: on })
          buses.push(created)
          return created
        }
        const subscriber: BusWorld['subscriber'] = async (on) => {
          const created = await bus(on)
          const recorder = record()
          const unsubscribe = await created.subscribe(recorder.handlers)
          return { bus: created, recorder, unsubscribe }
        }
        try {
          await fn({ scope, bus, subscriber })
        } finally {
          await Promise.allSettled(buses.map(async (b) => dispose(b)))
        }
      },
      timeout,
    )
  }
  return {
    runner,
    options,
    capabilities: { connectionState: true, ...options.capabilities },
    deliveryMs: options.deliveryTimeoutMs ?? 3_000,
    test,
    testIf: (supported, reason, name, fn) => (supported ? test(name, fn) : skipWithReason(runner, name, reason)),
  }
}

/** A recorder whose handlers push into `messages` and count gaps. */
export function record(): Recorder {
  const messages: BusMessage[] = []
  let gaps = 0
  return {
    messages,
    get gaps() {
      return gaps
    },
    handlers: { onMessage: (message) => void messages.push(message), onGap: () => void gaps++ },
  }
}

/**
 * What a receiver may rely on: everything but `at`, which is informational (receivers use their
 * own receive time), so the suite never compares it.
 */
export function content(message: BusMessage): Omit<BusMessage, 'at'> {
  const { at: _at, ...rest } = message
  return rest
}

/** A delete message from `source` with `keys`. */
export function deleteMessage(source: string, keys: readonly string[], namespace = 'suite'): BusMessage {
  return { type: 'delete', namespace, keys, at: Date.now(), source }
}

/** Polls `check` every 5 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`invalidationBusSuite: ${what} did not happen within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

import { PerfError } from '../errors.js'
import type { TestRunner } from './runner.js'
import {
  createSuiteContext,
  type InvalidationBusFactory,
  type InvalidationBusSuiteOptions,
} from './invalidation-bus-suite/context.js'
import { deliveryTests } from './invalidation-bus-suite/delivery.js'
import { orderTests } from './invalidation-bus-suite/order.js'
import { resilienceTests } from './invalidation-bus-suite/resilience.js'
import { subscriptionTests } from './invalidation-bus-suite/subscription.js'

export type {
  InvalidationBusCapabilities,
  InvalidationBusFactory,
  InvalidationBusSuiteOptions,
} from './invalidation-bus-suite/context.js'

/**
 * Registers the `InvalidationBus` conformance tests: a message published by one instance reaches
 * the subscribers of every other instance of the same scope with the same type, namespace,
 * keys/tags and source; one publisher's messages arrive in publish order; unsubscribe and close
 * stop delivery (close is idempotent); a reconnect reports a gap (with `options.reconnect`); and
 * junk on the transport never reaches handlers or stops delivery (with `options.injectGarbage`).
 * The `at` field is never compared: it is informational, receivers use their own receive time.
 * Each test uses a fresh, unique scope and disposes every bus it built.
 *
 * Two call forms: `invalidationBusSuite(name, factory, runner, options?)` and
 * `invalidationBusSuite(runner, factory, options?)`.
 *
 * @example
 * import { describe, it, expect } from 'vitest'
 * invalidationBusSuite('redisBus', ({ scope }) => redisBus(redis, { channel: scope }), { describe, it, expect })
 * @throws PerfError INVALID_ARGUMENT when the runner, factory or options are malformed
 */
export function invalidationBusSuite(
  name: string,
  factory: InvalidationBusFactory,
  runner: TestRunner,
  options?: InvalidationBusSuiteOptions,
): void
export function invalidationBusSuite(
  runner: TestRunner,
  factory: InvalidationBusFactory,
  options?: InvalidationBusSuiteOptions,
): void
export function invalidationBusSuite(
  first: string | TestRunner,
  factory: InvalidationBusFactory,
  third?: TestRunner | InvalidationBusSuiteOptions,
  fourth?: InvalidationBusSuiteOptions,
): void {
  const named = typeof first === 'string'
  const runner = (named ? third : first) as TestRunner
  const options = ((named ? fourth : third) ?? {}) as InvalidationBusSuiteOptions
  if (
    typeof runner?.describe !== 'function' ||
    typeof runner.it !== 'function' ||
    typeof runner.expect !== 'function'
  ) {
    throw invalid('runner', 'an object with describe, it and expect')
  }
  if (typeof factory !== 'function') throw invalid('factory', 'a function returning an InvalidationBus')
  for (const hook of ['reconnect', 'injectGarbage', 'dispose'] as const) {
    if (options[hook] !== undefined && typeof options[hook] !== 'function')
      throw invalid(`options.${hook}`, 'a function')
  }
  const deliveryMs = options.deliveryTimeoutMs ?? 3_000
  if (!Number.isFinite(deliveryMs) || deliveryMs <= 0) throw invalid('options.deliveryTimeoutMs', 'a positive number')

  runner.describe(named ? `invalidationBusSuite: ${first}` : 'invalidationBusSuite', () => {
    const ctx = createSuiteContext(runner, factory, options)
    deliveryTests(ctx)
    orderTests(ctx)
    subscriptionTests(ctx)
    resilienceTests(ctx)
  })
}

function invalid(argument: string, rule: string): PerfError {
  return new PerfError('INVALID_ARGUMENT', `[perf:testing] invalidationBusSuite(): ${argument} must be ${rule}`, {
    context: { argument },
  })
}

import type { PerfInstrumentationConfig } from './options.js'
import { PerfInstrumentation } from './perf-instrumentation.js'

/** What {@link instrumentPerf} returns. */
export interface PerfOtelHandle {
  /** The instrumentation behind it (to swap providers or read its config). */
  readonly instrumentation: PerfInstrumentation
  /** Stops turning @perf events into spans and metrics. Idempotent. */
  disable(): void
}

/**
 * Starts the OpenTelemetry bridge in one call: @perf's query, cache and pool events become spans
 * and metrics on the given (or global) providers until `disable()`.
 *
 * @example
 * const otel = instrumentPerf({ dbSystem: 'postgresql', dbNamespace: 'shop', serverAddress: 'db.internal' })
 * // ... on shutdown
 * otel.disable()
 * @throws PerfError INVALID_OPTION naming the option
 */
export function instrumentPerf(config: PerfInstrumentationConfig = {}): PerfOtelHandle {
  const instrumentation = new PerfInstrumentation({ ...config, enabled: true })
  return { instrumentation, disable: () => instrumentation.disable() }
}

import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import {
  diag,
  metrics,
  trace,
  type Attributes,
  type MeterProvider,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api'
import { CHANNELS, type CacheEvent, type LockEvent, type QueryEvent } from '@perf/core'
import pkg from '../package.json' with { type: 'json' }
import { Instruments } from './instruments.js'
import { resolveConfig, type PerfInstrumentationConfig, type ResolvedConfig } from './options.js'
import { errorAttributes, recordQuerySpan, servedFromCache } from './query-span.js'
import { ATTR } from './semconv.js'
import { StatementInfos } from './statement-info.js'

const NAME = '@perf/otel'
const VERSION: string = pkg.version
const CACHE_READS = new Set<string>(['hit', 'stale', 'grace', 'miss'])
const CACHE_ERRORS = new Set<string>(['load-error', 'tier-error', 'lock-error', 'bus-error'])

type Listener = (message: unknown) => void

/** The lock events the bridge reports, and the outcome each is reported as. */
const LOCK_OUTCOMES: Partial<Record<LockEvent['type'], string>> = {
  acquire: 'acquired',
  timeout: 'timeout',
  release: 'released',
  lost: 'lost',
  deadlock: 'deadlock',
  'release-failed': 'release_failed',
}

/**
 * Turns @perf's `perf:query`, `perf:cache`, `perf:pool` and `perf:lock` diagnostics-channel
 * events into OpenTelemetry spans (database client conventions, redacted SQL), span events and
 * metrics. Shaped like an
 * OpenTelemetry instrumentation, so `NodeSDK({ instrumentations: [...] })` and
 * `registerInstrumentations()` accept it. Fail-open: an exception in the bridge, the SDK or an
 * exporter goes to `onError` and never reaches the query that published the event.
 *
 * @example
 * const sdk = new NodeSDK({ instrumentations: [new PerfInstrumentation({ dbSystem: 'postgresql' })] })
 * sdk.start()
 * @throws PerfError INVALID_OPTION naming the option
 */
export class PerfInstrumentation {
  /** The instrumentation scope name of every span and metric. */
  readonly instrumentationName = NAME
  /** The version of @perf/otel, as the instrumentation scope version. */
  readonly instrumentationVersion: string = VERSION
  #config: ResolvedConfig
  #infos: StatementInfos
  #tracerProvider: TracerProvider | undefined
  #meterProvider: MeterProvider | undefined
  #tracer: Tracer | undefined
  #instruments: Instruments | undefined
  #enabled = false
  #warned = false
  readonly #listeners: Record<'query' | 'cache' | 'pool' | 'lock', Listener>

  constructor(config: PerfInstrumentationConfig = {}) {
    this.#config = resolveConfig(config)
    this.#infos = new StatementInfos(this.#config)
    this.#tracerProvider = this.#config.tracerProvider
    this.#meterProvider = this.#config.meterProvider
    this.#listeners = {
      query: this.#guarded((event: QueryEvent) => this.#onQuery(event)),
      cache: this.#guarded((event: CacheEvent) => this.#onCache(event)),
      pool: this.#guarded((event: Record<string, unknown>) => this.#onPool(event)),
      lock: this.#guarded((event: LockEvent) => this.#onLock(event)),
    }
    if (this.#config.enabled) this.enable()
  }

  /** Subscribes to the `perf:*` channels (idempotent). */
  enable(): void {
    if (this.#enabled) return
    this.#enabled = true
    this.#bindTracer()
    this.#bindMeter()
    subscribe(CHANNELS.query, this.#listeners.query)
    subscribe(CHANNELS.cache, this.#listeners.cache)
    subscribe(CHANNELS.pool, this.#listeners.pool)
    subscribe(CHANNELS.lock, this.#listeners.lock)
  }

  /** Unsubscribes and stops reporting pool metrics (idempotent); `enable()` resumes. */
  disable(): void {
    if (!this.#enabled) return
    this.#enabled = false
    unsubscribe(CHANNELS.query, this.#listeners.query)
    unsubscribe(CHANNELS.cache, this.#listeners.cache)
    unsubscribe(CHANNELS.pool, this.#listeners.pool)
    unsubscribe(CHANNELS.lock, this.#listeners.lock)
    this.#instruments?.close()
    this.#instruments = undefined
    this.#tracer = undefined
  }

  /** Whether it is subscribed. */
  get isEnabled(): boolean {
    return this.#enabled
  }

  /** Sends spans to `provider` from now on. */
  setTracerProvider(provider: TracerProvider): void {
    this.#tracerProvider = provider
    if (this.#enabled) this.#bindTracer()
  }

  /** Sends metrics to `provider` from now on. */
  setMeterProvider(provider: MeterProvider): void {
    this.#meterProvider = provider
    if (this.#enabled) this.#bindMeter()
  }

  /** The configuration as given to the constructor or `setConfig()` (providers excluded). */
  getConfig(): PerfInstrumentationConfig {
    const { tracerProvider: _t, meterProvider: _m, ...rest } = this.#config
    return { ...rest, onError: this.#config.onError }
  }

  /**
   * Replaces the configuration (providers set with the setters are kept unless `config` names others).
   * @throws PerfError INVALID_OPTION naming the option
   */
  setConfig(config: PerfInstrumentationConfig = {}): void {
    const resolved = resolveConfig(config)
    this.#config = resolved
    this.#infos = new StatementInfos(resolved)
    if (resolved.tracerProvider !== undefined) this.#tracerProvider = resolved.tracerProvider
    if (resolved.meterProvider !== undefined) this.#meterProvider = resolved.meterProvider
    if (this.#enabled) {
      this.#bindTracer()
      this.#bindMeter()
    }
  }

  #bindTracer(): void {
    this.#tracer = this.#config.spans
      ? (this.#tracerProvider ?? trace.getTracerProvider()).getTracer(NAME, VERSION)
      : undefined
  }

  #bindMeter(): void {
    this.#instruments?.close()
    this.#instruments = undefined
    if (!this.#config.metrics) return
    const meter = (this.#meterProvider ?? metrics.getMeterProvider()).getMeter(NAME, VERSION)
    const base: Attributes = { [ATTR.dbSystemName]: this.#config.dbSystem }
    if (this.#config.dbNamespace !== undefined) base[ATTR.dbNamespace] = this.#config.dbNamespace
    this.#instruments = new Instruments(meter, base)
  }

  #onQuery(event: QueryEvent): void {
    if (typeof event !== 'object' || event === null || typeof event.durationMs !== 'number') return
    const info = this.#infos.of(event)
    const failed = event.error !== undefined && event.error !== null
    const errors = failed ? errorAttributes(event.error) : undefined
    if (this.#tracer !== undefined) {
      recordQuerySpan(this.#tracer, event, info, this.#config.requireParentSpan, errors)
    }
    if (this.#instruments !== undefined && !servedFromCache(event)) {
      const attributes = errors === undefined ? info.metricAttributes : { ...info.metricAttributes, ...errors }
      this.#instruments.duration.record(event.durationMs / 1000, attributes)
    }
  }

  #onCache(event: CacheEvent): void {
    if (typeof event !== 'object' || event === null) return
    const type = event.type
    const isRead = CACHE_READS.has(type)
    if (!isRead && !CACHE_ERRORS.has(type)) return
    const attributes: Attributes = { [ATTR.perfCacheNamespace]: event.namespace }
    if ('tier' in event && typeof event.tier === 'string') attributes[ATTR.perfCacheTier] = event.tier
    if (isRead) {
      attributes[ATTR.perfCacheOutcome] = type
      this.#instruments?.cacheRequests.add(1, attributes)
    } else if ('error' in event) {
      Object.assign(attributes, errorAttributes(event.error))
    }
    if (!this.#config.cacheSpanEvents || this.#tracer === undefined) return
    const span = trace.getActiveSpan()
    if (span?.isRecording()) span.addEvent(isRead ? `perf.cache.${type}` : 'perf.cache.error', attributes)
  }

  #onPool(event: Record<string, unknown>): void {
    if (typeof event === 'object' && event !== null && event.type === 'pool.sample')
      this.#instruments?.poolSample(event)
  }

  #onLock(event: LockEvent): void {
    if (typeof event !== 'object' || event === null || typeof event.locker !== 'string') return
    const outcome = LOCK_OUTCOMES[event.type]
    if (outcome === undefined) return
    const attributes: Attributes = { [ATTR.perfLockLocker]: event.locker, [ATTR.perfLockOutcome]: outcome }
    if ('durationMs' in event && typeof event.durationMs === 'number' && this.#instruments !== undefined) {
      const histogram =
        outcome === 'acquired' || outcome === 'timeout' ? this.#instruments.lockWait : this.#instruments.lockHold
      histogram.record(event.durationMs / 1000, attributes)
    }
    // What went wrong shows on the request's span: a timeout, a deadlock, a lost lock, a failed release.
    if (outcome === 'acquired' || outcome === 'released' || this.#tracer === undefined) return
    const span = trace.getActiveSpan()
    if (span?.isRecording()) {
      const detail: Attributes = { ...attributes }
      if ('error' in event) Object.assign(detail, errorAttributes(event.error))
      span.addEvent(`perf.lock.${outcome}`, detail)
    }
  }

  /** Fail-open: diagnostics_channel rethrows a subscriber's exception as an uncaught exception on the next tick. */
  #guarded<T>(handle: (message: T) => void): Listener {
    return (message) => {
      try {
        handle(message as T)
      } catch (error) {
        this.#report(error)
      }
    }
  }

  #report(error: unknown): void {
    const onError = this.#config.onError
    if (onError !== undefined) {
      try {
        onError(error)
      } catch {
        // The error handler's own bug must not reach the query either.
      }
      return
    }
    if (this.#warned) return
    this.#warned = true
    diag.warn(`[perf:otel] an event could not be exported (reported once; pass onError to see every one)`, error)
  }
}

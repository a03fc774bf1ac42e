import {
  ValueType,
  type Attributes,
  type BatchObservableCallback,
  type Counter,
  type Histogram,
  type Meter,
  type Observable,
} from '@opentelemetry/api'
import { ATTR, DURATION_BUCKETS_S, METRIC } from './semconv.js'

/** The last `pool.sample` published for one pool (fields as `perf:pool` carries them). */
interface PoolReading {
  attributes: Attributes
  idle: number
  active: number
  waiting: number
  max: number
  min: number
  acquireWaitP95Ms: number
}

/** Pools remembered at most; a pool named after something unbounded must not grow the map forever. */
const MAX_POOLS = 64

/**
 * The metric instruments of one meter. Pool figures arrive as samples on `perf:pool` and are
 * reported by observable instruments at each collection, so an export reads the latest sample.
 */
export class Instruments {
  readonly duration: Histogram
  readonly cacheRequests: Counter
  /** Time waited for a lock: `perf.lock.outcome` `acquired` or `timeout`. */
  readonly lockWait: Histogram
  /** Time a lock was held: `perf.lock.outcome` `released` or `lost`. */
  readonly lockHold: Histogram
  readonly #pools = new Map<string, PoolReading>()
  readonly #observables: Observable[]
  readonly #collect: BatchObservableCallback

  constructor(
    private readonly meter: Meter,
    private readonly base: Attributes,
  ) {
    this.duration = meter.createHistogram(METRIC.operationDuration, {
      description: 'Duration of database client operations.',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    })
    this.cacheRequests = meter.createCounter(METRIC.cacheRequests, {
      description: 'Cache reads by outcome (hit, stale, grace, miss) and tier.',
      unit: '{request}',
      valueType: ValueType.INT,
    })
    this.lockWait = meter.createHistogram(METRIC.lockWait, {
      description: 'Time spent waiting for a distributed or local lock, by locker and outcome (acquired, timeout).',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    })
    this.lockHold = meter.createHistogram(METRIC.lockHold, {
      description: 'Time a lock was held, by locker and outcome (released, lost).',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    })
    const count = meter.createObservableUpDownCounter(METRIC.connectionCount, {
      description: 'Connections in the pool by state (idle, used).',
      unit: '{connection}',
      valueType: ValueType.INT,
    })
    const max = meter.createObservableUpDownCounter(METRIC.connectionMax, {
      description: 'Maximum connections the pool allows.',
      unit: '{connection}',
      valueType: ValueType.INT,
    })
    const idleMin = meter.createObservableUpDownCounter(METRIC.connectionIdleMin, {
      description: 'Minimum idle connections the pool keeps.',
      unit: '{connection}',
      valueType: ValueType.INT,
    })
    const pending = meter.createObservableUpDownCounter(METRIC.pendingRequests, {
      description: 'Requests waiting for a connection.',
      unit: '{request}',
      valueType: ValueType.INT,
    })
    const waitP95 = meter.createObservableGauge(METRIC.waitTimeP95, {
      description: '95th percentile of the time requests waited for a connection during the last sampling interval.',
      unit: 's',
    })
    this.#observables = [count, max, idleMin, pending, waitP95]
    this.#collect = (result) => {
      for (const pool of this.#pools.values()) {
        const a = pool.attributes
        result.observe(count, pool.idle, { ...a, [ATTR.connectionState]: 'idle' })
        result.observe(count, pool.active, { ...a, [ATTR.connectionState]: 'used' })
        result.observe(max, pool.max, a)
        result.observe(idleMin, pool.min, a)
        result.observe(pending, pool.waiting, a)
        result.observe(waitP95, pool.acquireWaitP95Ms / 1000, a)
      }
    }
    meter.addBatchObservableCallback(this.#collect, this.#observables)
  }

  /** Keeps the latest sample of a pool for the observable instruments. */
  poolSample(sample: Record<string, unknown>): void {
    const name = typeof sample.pool === 'string' ? sample.pool : 'default'
    if (!this.#pools.has(name) && this.#pools.size >= MAX_POOLS) return
    this.#pools.set(name, {
      attributes: this.#pools.get(name)?.attributes ?? { ...this.base, [ATTR.poolName]: name },
      idle: num(sample.idle),
      active: num(sample.active),
      waiting: num(sample.waiting),
      max: num(sample.max),
      min: num(sample.min),
      acquireWaitP95Ms: num(sample.acquireWaitP95Ms),
    })
  }

  /** Stops reporting pools (the meter keeps the instruments; they report nothing more). */
  close(): void {
    this.meter.removeBatchObservableCallback(this.#collect, this.#observables)
    this.#pools.clear()
  }
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0
}

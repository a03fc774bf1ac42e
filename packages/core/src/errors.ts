/**
 * Every error @perf throws is a {@link PerfError} with a stable `code` from this table.
 * Codes are part of the public contract: match on `code` (or use {@link isPerfError}),
 * never on message text.
 */
export const ERROR_CODES = {
  // input validation (all modules)
  INVALID_OPTION: 'An option passed to a constructor or factory is missing, of the wrong type or out of range.',
  INVALID_ARGUMENT:
    'An argument passed to a method is of the wrong type or out of range (including malformed key lists and tags).',
  INVALID_TTL: 'A TTL, swr, grace or timeout is negative, NaN, infinite or an unparsable duration string.',
  INVALID_KEY:
    'A cache key is empty, not a string, or not well-formed Unicode (it holds a lone surrogate, which UTF-8 stores would merge with others).',
  KEY_TOO_LONG: 'A cache key is longer than the configured maximum.',
  UNSERIALIZABLE_VALUE:
    'The codec cannot encode or copy a value (function, symbol, cycle, nesting deeper than 1,000 levels, unregistered class instance, or a getter or proxy trap that throws: see cause).',
  VALUE_TOO_LARGE:
    "An encoded value is larger than the configured maximum (the codec's maxBytes, or maxDecodedBytes before compression).",
  DECODE_FAILED:
    'Stored bytes could not be decoded (corrupt entry, unknown wire version, unregistered class, nesting deeper than the codec encodes, or a body larger than maxDecodedBytes).',
  CLIENT_INVALID: 'An adapter was given a client object of the wrong type.',
  // cache
  CACHE_CLOSED: 'The cache (or store) was used after close().',
  LOADER_TIMEOUT: 'A getOrSet loader did not settle within its hard timeout.',
  TIER_TIMEOUT: 'A cache tier did not answer within its deadline (reported through events; reads fail open).',
  TIER_FAILED: 'A cache tier threw (reported through events; reads fail open).',
  // lock
  LOCK_TIMEOUT: 'A lock could not be acquired within the wait time.',
  LOCK_CONTENDED: 'A lock could not be acquired because another owner holds it.',
  LOCK_LOST: 'A held lock expired or was taken over before it was released or extended.',
  LOCK_NOT_HELD: 'release() or extend() was called on a lock this owner no longer holds.',
  LOCK_BACKEND_ERROR: 'The lock backend (e.g. Redis) failed while acquiring, extending or releasing.',
  LOCK_VALIDITY_EXPIRED: 'Acquisition took so long (latency, clock drift) that no validity time was left.',
  DEADLOCK: 'Waiting for a lock would close a cycle in the wait-for graph.',
  FENCE_REJECTED: 'A write carried a fencing token older than the last one seen for the resource.',
  // batch
  BATCH_RESULT_INVALID: 'A batch function returned a result whose length or shape does not match its keys.',
  BATCH_FAILED: 'One batch of a bulk operation failed after its retries; the error lists the failed items.',
  RETRY_EXHAUSTED: 'retry() gave up: attempts or elapsed time used up.',
  // resilience
  TIMEOUT: 'An operation wrapped by withTimeout() did not settle in time.',
  CIRCUIT_OPEN: 'A call was rejected because the circuit breaker is open (or half-open with no probe slot).',
  RATE_LIMITED: 'A call was rejected by a rate limiter.',
  LEADERSHIP_LOST: 'This instance lost leadership (lease expired or taken over).',
  ABORTED: 'The operation was cancelled through its AbortSignal.',
  // adapters
  INVALID_CACHE_STRATEGY:
    'A cacheStrategy was given where caching is not allowed (for example on a write) or is malformed.',
  UNKNOWN_MODEL: 'An option names a model the ORM client does not have.',
  EXTENSION_MISSING:
    'A database extension a feature needs is not available, not installed or not preloaded (the error names the fix, e.g. shared_preload_libraries).',
} as const

/** A stable error code; see {@link ERROR_CODES} for what each one means. */
export type PerfErrorCode = keyof typeof ERROR_CODES

const BRAND = Symbol.for('@perf/core.PerfError')

/** Options accepted by {@link PerfError} and its subclasses. */
export interface PerfErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown
  /** Structured facts about the failure (option name, key, numbers). */
  context?: Record<string, unknown>
}

/**
 * Base class of every error thrown by @perf.
 *
 * @example
 * try { await cache.set('', 1) } catch (err) { if (isPerfError(err, 'INVALID_KEY')) ... }
 */
export class PerfError extends Error {
  /** Stable machine-readable code. */
  readonly code: PerfErrorCode
  /** Structured facts about the failure. */
  readonly context: Readonly<Record<string, unknown>>

  constructor(code: PerfErrorCode, message: string, options: PerfErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'PerfError'
    this.code = code
    this.context = Object.freeze({ ...options.context })
    Object.defineProperty(this, BRAND, { value: true })
  }
}

/** Thrown when a wait would close a cycle of lock waiters; `cycle` lists the owners and resources in order. */
export class DeadlockError extends PerfError {
  /** The cycle, as alternating `owner -> resource` steps, starting and ending at the youngest waiter. */
  readonly cycle: readonly string[]
  constructor(message: string, cycle: readonly string[], options: PerfErrorOptions = {}) {
    super('DEADLOCK', message, { ...options, context: { ...options.context, cycle } })
    this.name = 'DeadlockError'
    this.cycle = cycle
  }
}

/** Thrown by lock operations: acquire timeouts, lost or not-held locks, backend failures. */
export class LockError extends PerfError {
  constructor(
    code:
      | 'LOCK_TIMEOUT'
      | 'LOCK_CONTENDED'
      | 'LOCK_LOST'
      | 'LOCK_NOT_HELD'
      | 'LOCK_BACKEND_ERROR'
      | 'LOCK_VALIDITY_EXPIRED'
      | 'FENCE_REJECTED',
    message: string,
    options: PerfErrorOptions = {},
  ) {
    super(code, message, options)
    this.name = 'LockError'
  }
}

/** Thrown when an operation exceeds its deadline (`LOADER_TIMEOUT`, `TIMEOUT`, `TIER_TIMEOUT`). */
export class TimeoutError extends PerfError {
  constructor(code: 'LOADER_TIMEOUT' | 'TIMEOUT' | 'TIER_TIMEOUT', message: string, options: PerfErrorOptions = {}) {
    super(code, message, options)
    this.name = 'TimeoutError'
  }
}

/** Thrown by a circuit breaker that is open; `retryAfterMs` says when a probe will be allowed. */
export class BrokenCircuitError extends PerfError {
  /** Milliseconds until the breaker lets a probe through, when known (also in `context.retryAfterMs`). */
  readonly retryAfterMs: number | undefined
  constructor(message: string, options: PerfErrorOptions = {}) {
    super('CIRCUIT_OPEN', message, options)
    this.name = 'BrokenCircuitError'
    const retryAfterMs = options.context?.retryAfterMs
    this.retryAfterMs = typeof retryAfterMs === 'number' ? retryAfterMs : undefined
  }
}

/**
 * True when `err` is a PerfError (optionally with the given code). Checks a global-symbol brand,
 * so it also recognises errors from a second copy of @perf/core loaded in the same process.
 */
export function isPerfError(err: unknown, code?: PerfErrorCode): err is PerfError {
  if (typeof err !== 'object' || err === null || (err as Record<symbol, unknown>)[BRAND] !== true) return false
  return code === undefined || (err as PerfError).code === code
}

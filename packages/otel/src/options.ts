import type { MeterProvider, TracerProvider } from '@opentelemetry/api'
import { PerfError } from '@perf/core'

/** Options of {@link PerfInstrumentation} and {@link instrumentPerf}. */
export interface PerfInstrumentationConfig {
  /** Subscribe on construction, as OpenTelemetry instrumentations do. @default true */
  enabled?: boolean
  /** Where spans go. @default the global tracer provider (`trace.getTracerProvider()`) */
  tracerProvider?: TracerProvider
  /** Where metrics go. @default the global meter provider (`metrics.getMeterProvider()`) */
  meterProvider?: MeterProvider
  /**
   * `db.system.name` (and the older `db.system`): the database behind the ORM, e.g.
   * `'postgresql'`, `'mysql'`, `'mariadb'`. Query events do not say which database served them.
   * @default 'other_sql'
   */
  dbSystem?: string
  /** `db.namespace`: the database (and schema) name, e.g. `'shop'` or `'shop|public'`. @default unset */
  dbNamespace?: string
  /** `server.address`: host name or IP of the database. @default unset */
  serverAddress?: string
  /** `server.port`: the database's port. @default unset */
  serverPort?: number
  /** Emit a span per query event. @default true */
  spans?: boolean
  /** Emit `db.client.*` and `perf.cache.*` metrics. @default true */
  metrics?: boolean
  /** Create query spans only under an active span (skips startup and background queries). @default false */
  requireParentSpan?: boolean
  /**
   * Put the redacted statement in `db.query.text`. Literal values never leave the process: the
   * text goes through `redact()` (strings, numbers and comments replaced) first.
   * @default true
   */
  captureQueryText?: boolean
  /** Longest `db.query.text` kept, in characters (longer texts are cut). @default 2048 */
  maxQueryTextLength?: number
  /** Add cache outcomes (`perf.cache.hit`, `.miss`, ...) as events of the active span. @default true */
  cacheSpanEvents?: boolean
  /**
   * Called when the bridge or the SDK behind it throws while handling an event. The error never
   * reaches the query that published the event.
   * @default ignore (reported once through OpenTelemetry's `diag` logger)
   */
  onError?: (error: unknown) => void
}

/** The configuration with every default applied. */
export interface ResolvedConfig {
  enabled: boolean
  tracerProvider: TracerProvider | undefined
  meterProvider: MeterProvider | undefined
  dbSystem: string
  dbNamespace: string | undefined
  serverAddress: string | undefined
  serverPort: number | undefined
  spans: boolean
  metrics: boolean
  requireParentSpan: boolean
  captureQueryText: boolean
  maxQueryTextLength: number
  cacheSpanEvents: boolean
  onError: ((error: unknown) => void) | undefined
}

const BOOLEANS = ['enabled', 'spans', 'metrics', 'requireParentSpan', 'captureQueryText', 'cacheSpanEvents'] as const
const STRINGS = ['dbSystem', 'dbNamespace', 'serverAddress'] as const

/**
 * Validates `config` and applies defaults.
 * @throws PerfError INVALID_OPTION naming the option
 */
export function resolveConfig(config: PerfInstrumentationConfig = {}): ResolvedConfig {
  if (typeof config !== 'object' || config === null) invalid('config', 'an object', config)
  for (const name of BOOLEANS) {
    if (config[name] !== undefined && typeof config[name] !== 'boolean') invalid(name, 'a boolean', config[name])
  }
  for (const name of STRINGS) {
    const value = config[name]
    if (value !== undefined && (typeof value !== 'string' || value === '')) invalid(name, 'a non-empty string', value)
  }
  const port = config.serverPort
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65_536)) {
    invalid('serverPort', 'an integer from 1 to 65535', port)
  }
  const max = config.maxQueryTextLength ?? 2048
  if (!Number.isInteger(max) || max < 16) invalid('maxQueryTextLength', 'an integer >= 16', max)
  if (config.onError !== undefined && typeof config.onError !== 'function')
    invalid('onError', 'a function', config.onError)
  for (const name of ['tracerProvider', 'meterProvider'] as const) {
    const provider = config[name] as unknown
    const method = name === 'tracerProvider' ? 'getTracer' : 'getMeter'
    if (provider !== undefined && typeof (provider as Record<string, unknown> | null)?.[method] !== 'function') {
      invalid(name, `an object with ${method}()`, provider)
    }
  }
  return {
    enabled: config.enabled ?? true,
    tracerProvider: config.tracerProvider,
    meterProvider: config.meterProvider,
    dbSystem: config.dbSystem ?? 'other_sql',
    dbNamespace: config.dbNamespace,
    serverAddress: config.serverAddress,
    serverPort: port,
    spans: config.spans ?? true,
    metrics: config.metrics ?? true,
    requireParentSpan: config.requireParentSpan ?? false,
    captureQueryText: config.captureQueryText ?? true,
    maxQueryTextLength: max,
    cacheSpanEvents: config.cacheSpanEvents ?? true,
    onError: config.onError,
  }
}

function invalid(option: string, expected: string, got: unknown): never {
  const shown = typeof got === 'string' ? JSON.stringify(got) : typeof got
  throw new PerfError('INVALID_OPTION', `[perf:otel] option "${option}" must be ${expected}, got ${shown}`, {
    context: { option },
  })
}

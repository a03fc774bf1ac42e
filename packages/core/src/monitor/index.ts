// monitor/ public surface, listed by name; the package index re-exports from here.
export { Histogram } from './histogram.js'
export type { HistogramOptions, HistogramSummary } from './histogram.js'
export { fingerprint, fingerprintId, hashFingerprint } from './fingerprint.js'
export { redact } from './redact.js'
export { Tok, tokenize, wordIs } from './sql-lexer.js'
export type { SqlLexerOptions, Token, TokKind } from './sql-lexer.js'
export { createMonitor } from './monitor.js'
export type { Monitor, PrometheusOptions, TopOptions } from './monitor.js'
export type { MonitorOptions } from './monitor-options.js'
export type { ScopeOptions } from './n-plus-one.js'
export type { HealthThresholds } from './health.js'
export type {
  CacheOutcome,
  FingerprintSummary,
  HealthMetrics,
  HealthReport,
  MonitorSnapshot,
  MonitorTotals,
  NPlusOneAdvisor,
  NPlusOneFinding,
  NPlusOneReport,
  PoolHealth,
  QueryEvent,
  ScopeInfo,
  ScopeReport,
  SlowQuery,
} from './types.js'
export type { HealthSource, HealthSourceResult, HealthSourceStatus } from './health-sources.js'

// bridge
export { PerfInstrumentation } from './perf-instrumentation.js'
export { instrumentPerf } from './instrument-perf.js'
export type { PerfOtelHandle } from './instrument-perf.js'
export type { PerfInstrumentationConfig } from './options.js'

// names emitted
export { ATTR, METRIC, DURATION_BUCKETS_S } from './semconv.js'

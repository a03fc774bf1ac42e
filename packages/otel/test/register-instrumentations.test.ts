import { registerInstrumentations } from '@opentelemetry/instrumentation'
import { createMonitor } from '@perf/core'
import { describe, expect, it } from 'vitest'
import { PerfInstrumentation } from '../src/index.js'
import { histogramPoints, openSdk } from './fixtures/otel.js'

describe('PerfInstrumentation with registerInstrumentations()', () => {
  it('takes the providers NodeSDK hands it, and the returned undo disables it', async () => {
    const sdk = openSdk()
    const monitor = createMonitor({ eventLoopDelay: false })
    const perf = new PerfInstrumentation({ enabled: false, dbSystem: 'postgresql' })
    const undo = registerInstrumentations({
      instrumentations: [perf],
      tracerProvider: sdk.tracerProvider,
      meterProvider: sdk.meterProvider,
    })
    try {
      expect(perf.isEnabled).toBe(true)
      monitor.record({ source: 'pg', sql: 'SELECT * FROM carts WHERE id = 1', durationMs: 2 })
      expect(sdk.spans().map((s) => s.name)).toEqual(['SELECT carts'])
      const points = histogramPoints((await sdk.collect()).get('db.client.operation.duration'))
      expect(points.map((p) => p.value.count)).toEqual([1])
      undo()
      expect(perf.isEnabled).toBe(false)
      monitor.record({ source: 'pg', sql: 'SELECT * FROM carts WHERE id = 2', durationMs: 2 })
      expect(sdk.spans()).toHaveLength(1)
    } finally {
      perf.disable()
      monitor.close()
      await sdk.shutdown()
    }
  })
})

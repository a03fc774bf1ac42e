import { requireCore } from '../../core.js'
import { formatMB } from '../../harness/format.js'
import type { Suite } from '../../harness/suite.js'
import { averageRowBytes } from './data.js'
import { hitCases } from './hits.js'
import { lruCases } from './lru.js'
import { memoryCase } from './memory.js'
import { stampedeCases } from './stampede.js'

/** Issue 2: MemoryStore, getOrSet hits, stampede, memory bound. */
const suite: Suite = {
  name: 'cache',
  title: 'cache engine vs lru-cache, bentocache and cache-manager (issue 2)',
  libraries: ['@perf/core', 'lru-cache', 'bentocache', 'cache-manager', 'cache-manager>keyv'],
  async run(ctx) {
    const core = await requireCore(ctx, ['MemoryStore', 'createCache'])
    if (!core) return
    ctx.text(`Rows are ~${averageRowBytes()} bytes as JSON (\`{ id, name, email, active, score, role }\`).`)

    const { get } = await lruCases(ctx, core)
    const hits = await hitCases(ctx, core)
    const stampede = await stampedeCases(ctx, core)
    const memory = await memoryCase(ctx)

    ctx.target(
      'MemoryStore get vs lru-cache get',
      'speed',
      ctx.ratio(get, 'MemoryStore get', 'lru-cache get'),
      '>=',
      0.8,
    )
    ctx.target(
      '@perf getOrSet hit vs cache-manager wrap hit',
      'speed',
      ctx.ratio(hits, '@perf getOrSet', 'cache-manager wrap'),
      '>=',
      2,
    )
    ctx.target(
      '@perf getOrSet hit vs cache-manager get hit',
      'speed',
      ctx.ratio(hits, '@perf getOrSet', 'cache-manager get'),
      '>=',
      1,
    )
    ctx.target(
      '@perf loader calls under a 1000-caller stampede',
      'exact',
      stampede.get('@perf getOrSet') ?? Number.NaN,
      '==',
      1,
      String,
    )
    for (const r of memory) {
      ctx.target(
        `heapUsed after 1M × 1 KB into MemoryStore (maxEntries ${r.maxEntries === 'default' ? 'default' : 'lifted'})${r.count < 1_000_000 ? ` [${r.count.toLocaleString('en-US')} values in quick mode]` : ''}`,
        'exact',
        r.heapAfter,
        '<=',
        200e6,
        formatMB,
      )
    }
  },
}

export default suite

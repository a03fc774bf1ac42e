/**
 * Child process of the cache suite's memory case (started with --expose-gc): writes COUNT
 * distinct 1 KB values into a MemoryStore bounded to 64 MiB and prints one JSON line with heap
 * figures. Runs alone so the other cases' heaps neither inflate nor hide its figure.
 */
import { performance } from 'node:perf_hooks'
import { loadCore } from '../../core.js'

const MAX_BYTES = 64 * 1024 * 1024
const VALUE_CHARS = 1024

function gcTwice(): void {
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) throw new Error('[bench] memory child needs --expose-gc')
  gc()
  gc()
}

async function main(): Promise<void> {
  const count = Number(process.argv[2])
  const maxEntries = process.argv[3] === 'default' ? undefined : Number(process.argv[3])
  if (!Number.isInteger(count) || count < 1) throw new Error('[bench] memory child needs a value count')
  if (maxEntries !== undefined && !Number.isInteger(maxEntries))
    throw new Error('[bench] memory child needs maxEntries or "default"')
  const { api, missing, fromSource } = await loadCore(['MemoryStore'])
  if (missing.length > 0) throw new Error('[bench] MemoryStore is not available')
  gcTwice()
  const before = process.memoryUsage()
  const store = new api.MemoryStore(
    maxEntries === undefined ? { maxBytes: MAX_BYTES } : { maxBytes: MAX_BYTES, maxEntries },
  )
  const now = Date.now()
  let peakHeap = 0
  const start = performance.now()
  for (let i = 0; i < count; i++) {
    // Distinct content per value (a flat one-byte string of 1024 characters), so nothing is shared.
    const value = `${i}:`.padEnd(VALUE_CHARS, 'abcdefghijklmnopqrstuvwxyz')
    store.set(`value:${i}`, { value, createdAt: now, staleAt: now + 600_000, expiresAt: now + 600_000 })
    if ((i & 0xfff) === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)
  }
  const elapsedMs = performance.now() - start
  gcTwice()
  const after = process.memoryUsage()
  const stats = store.stats()
  console.log(
    JSON.stringify({
      count,
      maxEntries: maxEntries ?? 'default',
      fromSource: fromSource.length > 0,
      heapBefore: before.heapUsed,
      heapAfter: after.heapUsed,
      rssAfter: after.rss,
      peakHeapSampled: peakHeap,
      entries: stats.entries,
      storeBytes: stats.bytes,
      evictions: stats.evictions,
      setsPerSec: count / (elapsedMs / 1000),
    }),
  )
  store.close()
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})

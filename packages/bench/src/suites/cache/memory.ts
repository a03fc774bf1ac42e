import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { formatMB, formatRate } from '../../harness/format.js'
import type { SuiteContext } from '../../harness/suite.js'

/** What memory-child.ts prints. */
export interface MemoryResult {
  count: number
  maxEntries: number | 'default'
  fromSource: boolean
  heapBefore: number
  heapAfter: number
  rssAfter: number
  peakHeapSampled: number
  entries: number
  storeBytes: number
  evictions: number
  setsPerSec: number
}

/** Runs memory-child.ts in a fresh `node --expose-gc` and reads its JSON line. */
function runChild(count: number, maxEntries: number | 'default'): Promise<MemoryResult> {
  const script = fileURLToPath(new URL('./memory-child.ts', import.meta.url))
  // Same loader flags as this process (tsx), plus --expose-gc.
  const execArgv = process.execArgv.includes('--expose-gc') ? process.execArgv : [...process.execArgv, '--expose-gc']
  const child = spawn(process.execPath, [...execArgv, script, String(count), String(maxEntries)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk
  })
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? ''
      if (code !== 0) reject(new Error(`[bench] memory child exited with code ${code}`))
      else resolve(JSON.parse(line) as MemoryResult)
    })
  })
}

/**
 * 1,000,000 distinct 1 KB values into MemoryStore({ maxBytes: 64 MiB }): heap after gc. Run
 * twice: exactly as the issue writes it (the default maxEntries, 10,000, then binds first), and
 * with maxEntries lifted so that the byte bound is the one doing the work.
 */
export async function memoryCase(ctx: SuiteContext): Promise<MemoryResult[]> {
  const count = ctx.size(1_000_000, 50_000)
  const configs: Array<[number | 'default', string]> = [
    ['default', '{ maxBytes: 64 MiB } (maxEntries default 10,000)'],
    [2 ** 30, '{ maxBytes: 64 MiB, maxEntries: 2^30 } (bytes bound only)'],
  ]
  const results: MemoryResult[] = []
  const rows: string[][] = []
  for (const [maxEntries, label] of configs) {
    ctx.log(
      `memory: ${count.toLocaleString('en-US')} distinct 1 KB values into MemoryStore(${label}) in a child process`,
    )
    const r = await runChild(count, maxEntries)
    results.push(r)
    rows.push([
      label,
      formatMB(r.heapAfter),
      formatMB(r.heapBefore),
      formatMB(r.peakHeapSampled),
      formatMB(r.rssAfter),
      r.entries.toLocaleString('en-US'),
      formatMB(r.storeBytes),
      r.evictions.toLocaleString('en-US'),
      formatRate(r.setsPerSec),
    ])
  }
  ctx.table({
    title: `Memory — ${count.toLocaleString('en-US')} distinct 1 KB values into a MemoryStore`,
    headers: [
      'MemoryStore options',
      'heapUsed after gc',
      'heapUsed at start',
      'highest heapUsed sampled',
      'rss after',
      'entries kept',
      'estimated bytes',
      'evictions',
      'sets/s',
    ],
    rows,
    note: 'Each row is a fresh `node --expose-gc` process; values are distinct 1,024-character strings under keys `value:<i>`, heap figures after two forced gcs. "Estimated bytes" is the store\'s own accounting against maxBytes (2 bytes per character plus ~160 bytes per entry, so it errs high and keeps fewer entries than 64 MiB of real heap would hold). Highest heapUsed is sampled every 4,096 sets without forcing gc.',
  })
  return results
}

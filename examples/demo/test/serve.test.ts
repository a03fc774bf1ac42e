import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'perf-demo-serve-'))

interface Snapshot {
  totals: Array<{ monitor: string; totals: { calls: number } }>
  caches: Array<{ hotKeys: Array<{ key: string; count: number }>; stats: { hitRatio: number } }>
  pools: { pools: Array<{ name: string; stats: { max: number } }> }
}

describe('pnpm demo --serve', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('keeps the wrapped app serving with the dashboard at the printed URL until SIGINT', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', '--smoke', '--serve', '--report', join(dir, 'r.html')],
      { cwd: root, env: { ...process.env, PERF_DASHBOARD_PORT: '0' } },
    )
    let output = ''
    child.stdout.on('data', (chunk) => (output += String(chunk)))
    child.stderr.on('data', (chunk) => (output += String(chunk)))
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setInterval(() => {
          const m = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/perf\/)/.exec(output)
          if (m) {
            clearInterval(timer)
            resolve(m[1] as string)
          }
        }, 200)
        void exited.then(() => reject(new Error(`demo exited before serving:\n${output}`)))
      })
      const page = await fetch(url)
      expect(page.status).toBe(200)
      expect(await page.text()).toContain('<svg id="chart-throughput"')
      const first = (await (await fetch(url + 'snapshot')).json()) as Snapshot
      expect(first.totals[0]?.monitor).toBe('perf() wrapped')
      expect(first.pools.pools[0]?.stats.max).toBeGreaterThanOrEqual(1)
      // The workload keeps running: more queries a second later, and the cache's hot keys are listed.
      await new Promise((r) => setTimeout(r, 1500))
      const second = (await (await fetch(url + 'snapshot')).json()) as Snapshot
      expect(second.totals[0]!.totals.calls).toBeGreaterThan(first.totals[0]!.totals.calls)
      expect(second.caches[0]!.hotKeys.length).toBeGreaterThan(0)
      expect(second.caches[0]!.hotKeys[0]!.key).toMatch(/^prisma:/)
    } finally {
      child.kill('SIGINT')
    }
    expect(await exited).toBe(0)
  })
})

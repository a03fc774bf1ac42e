import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runDemo } from './run-demo.js'

const dir = mkdtempSync(join(tmpdir(), 'perf-demo-typeorm-'))

describe('pnpm demo --orm typeorm --smoke', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const report = join(dir, 'report.html')

  it('runs the same shop and workload on TypeORM: side-by-side table, identical results, HTML report', async () => {
    const { code, output } = await runDemo(['--smoke', '--orm', 'typeorm', '--report', report])
    expect(output).toContain('plain TypeORM vs instrument(dataSource)')
    expect(output).toMatch(/seeded [\d,]+ rows in 6 related tables/)
    expect(output).toMatch(/plain TypeORM\s+instrument\(\) wrapped\s+change/)
    for (const row of [
      'throughput (req/s)',
      'latency p99 (ms)',
      'SQL statements issued',
      'cache hit ratio',
      'N+1 findings',
      'top slow fingerprint #1',
      'pool utilisation',
      'health score',
    ]) {
      expect(output).toContain(row)
    }
    // Both columns counted statements, and the plain run found the listing's N+1.
    const statements = /SQL statements issued\s+([\d,]+)\s+([\d,]+)/.exec(output)
    expect(Number(statements?.[1]?.replace(/,/g, ''))).toBeGreaterThan(0)
    expect(Number(statements?.[2]?.replace(/,/g, ''))).toBeGreaterThan(0)
    expect(output).toMatch(/N\+1 findings \(requests\)\s+[1-9]/)
    const verdict =
      /✔ Sampled results identical: (\d+)\/(\d+) requests .*?, ([\d,]+) wrapped reads served from cache/.exec(output)
    expect(verdict?.[1]).toBe(verdict?.[2])
    expect(Number(verdict?.[3]?.replace(/,/g, ''))).toBeGreaterThan(0)
    expect(code).toBe(0)
    expect(existsSync(report)).toBe(true)
    const html = readFileSync(report, 'utf8')
    expect(html).toContain('<th>plain TypeORM</th><th>instrument() wrapped</th>')
    expect(html).toContain('Sampled results identical')
  })

  it('rejects an unknown --orm with exit code 2 and names the choices', async () => {
    const { code, output } = await runDemo(['--smoke', '--orm', 'mikro-orm'])
    expect(code).toBe(2)
    expect(output).toContain('[demo] --orm must be "prisma", "typeorm" or "sequelize" (got "mikro-orm")')
  })
})

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runDemo } from './run-demo.js'

const dir = mkdtempSync(join(tmpdir(), 'perf-demo-sequelize-'))

describe('pnpm demo --orm sequelize --smoke', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const report = join(dir, 'report.html')

  it('runs the same shop and workload on Sequelize: side-by-side table, identical results, HTML report', async () => {
    const { code, output } = await runDemo(['--smoke', '--orm', 'sequelize', '--report', report])
    expect(output).toContain('plain Sequelize vs instrument(sequelize)')
    expect(output).toMatch(/seeded [\d,]+ rows in 6 related tables/)
    expect(output).toMatch(/plain Sequelize\s+instrument\(\) wrapped\s+change/)
    for (const row of [
      'throughput (req/s)',
      'SQL statements issued',
      'cache hit ratio',
      'N+1 findings',
      'health score',
    ])
      expect(output).toContain(row)
    // Both columns counted statements (the plain one at the driver), and the plain run found the listing's N+1.
    const statements = /SQL statements issued\s+([\d,]+)\s+([\d,]+)/.exec(output)
    expect(Number(statements?.[1]?.replace(/,/g, ''))).toBeGreaterThan(0)
    expect(Number(statements?.[2]?.replace(/,/g, ''))).toBeGreaterThan(0)
    expect(output).toMatch(/N\+1 findings \(requests\)\s+[1-9]/)
    // The wrapped side served reads from the cache: a hit ratio above zero.
    expect(output).toMatch(/cache hit ratio\s+—\s+(?!0\.0%)\d+\.\d%/)
    const verdict =
      /✔ Sampled results identical: (\d+)\/(\d+) requests .*?, ([\d,]+) wrapped reads served from cache/.exec(output)
    expect(verdict?.[1]).toBe(verdict?.[2])
    expect(Number(verdict?.[3]?.replace(/,/g, ''))).toBeGreaterThan(0)
    expect(code).toBe(0)
    expect(existsSync(report)).toBe(true)
    expect(readFileSync(report, 'utf8')).toContain('<th>plain Sequelize</th><th>instrument() wrapped</th>')
  })

  it('rejects an unknown --orm with exit code 2 and names the three choices', async () => {
    const { code, output } = await runDemo(['--smoke', '--orm', 'mikro-orm'])
    expect(code).toBe(2)
    expect(output).toContain('[demo] --orm must be "prisma", "typeorm" or "sequelize" (got "mikro-orm")')
  })
})

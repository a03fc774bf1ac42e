import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { expectComparison } from './expect-comparison.js'
import { runDemo } from './run-demo.js'

const dir = mkdtempSync(join(tmpdir(), 'perf-demo-sequelize-'))

describe('pnpm demo --orm sequelize --smoke', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const report = join(dir, 'report.html')

  it('runs the same shop and workload on Sequelize: side-by-side table, identical results, HTML report', async () => {
    const { code, output } = await runDemo(['--smoke', '--orm', 'sequelize', '--report', report])
    expect(output).toContain('plain Sequelize vs instrument(sequelize)')
    expectComparison(output, 'plain Sequelize', 'instrument() wrapped')
    // The wrapped side served reads from the cache: a hit ratio above zero.
    expect(output).toMatch(/cache hit ratio\s+—\s+(?!0\.0%)\d+\.\d%/)
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

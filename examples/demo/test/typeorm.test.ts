import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { expectComparison } from './expect-comparison.js'
import { runDemo } from './run-demo.js'

const dir = mkdtempSync(join(tmpdir(), 'perf-demo-typeorm-'))

describe('pnpm demo --orm typeorm --smoke', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const report = join(dir, 'report.html')

  it('runs the same shop and workload on TypeORM: side-by-side table, identical results, HTML report', async () => {
    const { code, output } = await runDemo(['--smoke', '--orm', 'typeorm', '--report', report])
    expect(output).toContain('plain TypeORM vs instrument(dataSource)')
    expectComparison(output, 'plain TypeORM', 'instrument() wrapped')
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

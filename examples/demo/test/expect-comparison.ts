import { expect } from 'vitest'

/**
 * The checks every `--orm` variant's smoke output must pass: the side-by-side table with its rows,
 * statements counted in both columns, the plain run's N+1 findings, and an identical-results
 * verdict with reads served from the cache.
 */
export function expectComparison(output: string, plain: string, wrapped: string): void {
  expect(output).toMatch(/seeded [\d,]+ rows in 6 related tables/)
  expect(output).toMatch(new RegExp(`${plain}\\s+${wrapped.replace(/[()]/g, '\\$&')}\\s+change`))
  for (const row of [
    'throughput (req/s)',
    'latency p99 (ms)',
    'SQL statements issued',
    'cache hit ratio',
    'N+1 findings',
    'top slow fingerprint #1',
    'pool utilisation',
    'health score',
  ])
    expect(output).toContain(row)
  const statements = /SQL statements issued\s+([\d,]+)\s+([\d,]+)/.exec(output)
  expect(Number(statements?.[1]?.replace(/,/g, ''))).toBeGreaterThan(0)
  expect(Number(statements?.[2]?.replace(/,/g, ''))).toBeGreaterThan(0)
  expect(output).toMatch(/N\+1 findings \(requests\)\s+[1-9]/)
  const verdict =
    /✔ Sampled results identical: (\d+)\/(\d+) requests .*?, ([\d,]+) wrapped reads served from cache/.exec(output)
  expect(verdict?.[1]).toBe(verdict?.[2])
  expect(Number(verdict?.[3]?.replace(/,/g, ''))).toBeGreaterThan(0)
}

import type * as typeorm1 from 'typeorm'
import type { BenchCase, CaseResult } from '../../harness/measure.js'
import type { SuiteContext } from '../../harness/suite.js'
import type { Account } from './setup.js'
import type { Contender } from './cases.js'

/** The part of `@perf/typeorm`'s createLoaders() this suite uses. */
type CreateLoaders = (
  dataSource: typeorm1.DataSource,
  options?: Record<string, unknown>,
) => { byId(entity: unknown): { load(id: number): Promise<Account | null | undefined> } }

export const HAND_WRITTEN = 'hand-written `= ANY($1)` (QueryBuilder getMany)'
export const LOADER = 'createLoaders().byId(Account), one load() per id in one tick'

function check(rows: ReadonlyArray<Account | null | undefined>, ids: readonly number[], name: string): void {
  for (let i = 0; i < ids.length; i++)
    if (rows[i]?.id !== ids[i])
      throw new Error(`[bench] ${name}: wrong row for id ${ids[i]}: ${JSON.stringify(rows[i])}`)
}

/**
 * 1000 primary-key loads through a fresh per-request loader vs the query one would write by hand,
 * both returning entities in the order asked. Also counts the loader's statements per 1000 loads.
 */
export async function loaderCases(
  ctx: SuiteContext,
  c: Contender,
  createLoaders: CreateLoaders,
  rows: number,
  label: string,
): Promise<{ results: Map<string, CaseResult>; statements: number }> {
  const n = Math.min(1000, rows)
  const ids = Array.from({ length: n }, (_, i) => ((i * 7919) % rows) + 1)
  const repo = c.dataSource.getRepository(c.entity)
  const handWritten = async () => {
    const found = await repo.createQueryBuilder('a').where('a.id = ANY(:ids)', { ids }).getMany()
    const byId = new Map(found.map((row) => [row.id, row]))
    check(
      ids.map((id) => byId.get(id)),
      ids,
      HAND_WRITTEN,
    )
  }
  const viaLoader = async () => {
    const loader = createLoaders(c.dataSource).byId(c.entity)
    check(await Promise.all(ids.map((id) => loader.load(id))), ids, LOADER)
  }
  const before = c.counter.count
  await viaLoader()
  const statements = c.counter.count - before
  const unit = (name: string, fn: () => Promise<void>): BenchCase => ({
    name,
    opsPerCall: n,
    async run(k) {
      for (let i = 0; i < k; i++) await fn()
    },
  })
  const results = await ctx.compare(
    `${n} loads by primary key — ${label}`,
    [unit(HAND_WRITTEN, handWritten), unit(LOADER, viaLoader)],
    {
      baseline: HAND_WRITTEN,
      note: `ops/s counts loads: one unit is ${n} distinct ids, either one \`createQueryBuilder().where('a.id = ANY(:ids)').getMany()\` mapped back to the order asked, or a fresh loader (one per request) with ${n} \`load()\` calls awaited together. Both return entities; each result is checked.`,
    },
  )
  return { results, statements }
}

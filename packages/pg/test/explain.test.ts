import { fingerprint } from '@perf/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pgDiagnostics } from '../src/index.js'
import { filterColumns } from '../src/explain/advise-indexes.js'
import { freshDatabase, privatePostgres } from './setup/database.js'

const url = await privatePostgres()

describe('filterColumns', () => {
  it('finds compared columns through casts, quotes and parentheses', () => {
    const cols = ['customer_id', 'status', 'created_at', 'Weird Name', 'note']
    const roles = filterColumns(
      `((customer_id = $1) AND ((status)::text = 'open'::text) AND (created_at >= $2) AND ("Weird Name" IS NULL) AND (note ~~ 'x%'::text))`,
      cols,
    )
    expect(Object.fromEntries(roles)).toEqual({
      customer_id: 'equality',
      status: 'equality',
      created_at: 'range',
      'Weird Name': 'equality',
    })
    expect(filterColumns('(customer_id <> 3)', cols).size).toBe(0)
  })
})

describe.skipIf(!url)('explain / adviseIndexes', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>
  beforeAll(async () => {
    db = await freshDatabase(url!)
    await db.pool.query(`CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int NOT NULL, status text NOT NULL,
      total numeric NOT NULL, created_at timestamptz NOT NULL, note text)`)
    await db.pool.query(`INSERT INTO orders (customer_id, status, total, created_at, note)
      SELECT g % 20000, (ARRAY['open','paid','shipped','cancelled'])[1 + g % 4], g % 1000, now() - g * interval '1 minute', repeat('n', 50)
      FROM generate_series(1, 300000) g`)
    await db.pool.query('ANALYZE orders')
  })
  afterAll(async () => {
    await db?.drop()
  })

  const median = async (run: () => Promise<unknown>, n = 15): Promise<number> => {
    const times: number[] = []
    for (let i = 0; i < n; i++) {
      const t = performance.now()
      await run()
      times.push(performance.now() - t)
    }
    return times.sort((a, b) => a - b)[Math.floor(n / 2)]!
  }

  it('explain() returns the plan; analyze runs inside a rolled-back transaction', async () => {
    const diag = pgDiagnostics(db.pool)
    const plain = await diag.explain('SELECT * FROM orders WHERE id = $1', [5])
    expect(plain.plan['Node Type']).toBe('Index Scan')
    expect(plain.planKind).toBe('custom')
    expect(plain.executionMs).toBeUndefined()
    const analyzed = await diag.explain('UPDATE orders SET note = $1 WHERE id = $2', ['changed', 7], { analyze: true })
    expect(analyzed.executionMs).toBeGreaterThan(0)
    expect(analyzed.nodes.some((n) => n['Actual Rows'] !== undefined)).toBe(true)
    const { rows } = await db.pool.query('SELECT note FROM orders WHERE id = 7')
    expect(rows[0].note).not.toBe('changed')
    // a pg_stat_statements text (placeholders, no values) and a core fingerprint plan generically
    const generic = await diag.explain('SELECT * FROM orders WHERE customer_id = $1')
    expect(generic.planKind).toBe('generic')
    const fp = await diag.explain(fingerprint("SELECT * FROM orders WHERE status = 'x' AND id IN (1, 2, 3)"))
    expect(fp.planKind).toBe('generic')
    await expect(
      diag.explain('SELECT * FROM orders WHERE id = $1', undefined, { analyze: true }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
  })

  it('adviseIndexes() advises an index that changes the plan and makes the statement faster', async () => {
    const diag = pgDiagnostics(db.pool)
    const sql = 'SELECT id, total FROM orders WHERE status = $1 AND customer_id = $2 AND created_at >= $3'
    const params = ['open', 4242, new Date(0)]
    const { advice, plan } = await diag.adviseIndexes(sql, { params })
    expect(plan.nodes.some((n) => n['Node Type'] === 'Seq Scan')).toBe(true)
    expect(advice).toHaveLength(1)
    const a = advice[0]!
    // equality columns, most selective first (customer_id: 20,000 distinct; status: 4), the range column last
    expect(a.columns).toEqual(['customer_id', 'status', 'created_at'])
    expect(a.statement).toBe('CREATE INDEX CONCURRENTLY ON "public"."orders" ("customer_id", "status", "created_at")')
    expect(a.estimatedSpeedup).toBeGreaterThan(10)
    expect(a.reasoning.join('\n')).toMatch(/Seq Scan on public\.orders[\s\S]*customer_id: equality condition/)

    const before = await median(() => db.pool.query(sql, params))
    await db.pool.query(a.statement)
    await db.pool.query('ANALYZE orders')
    const after = await diag.explain(sql, params)
    expect(after.nodes.some((n) => n['Node Type'] === 'Seq Scan')).toBe(false)
    expect(
      after.nodes.some((n) => typeof n['Index Name'] === 'string' && n['Index Name'].includes('customer_id')),
    ).toBe(true)
    expect(after.totalCost).toBeLessThan(plan.totalCost / 10)
    const faster = await median(() => db.pool.query(sql, params))
    expect(faster).toBeLessThan(before / 3)

    // once it exists, nothing more is advised for that statement
    expect((await diag.adviseIndexes(sql, { params })).advice).toEqual([])
  })

  it('adviseIndexes() leaves small tables, unfiltered scans and OR filters alone, saying why', async () => {
    await db.pool.query('CREATE TABLE tiny (id int, v int)')
    await db.pool.query('INSERT INTO tiny SELECT g, g FROM generate_series(1, 100) g')
    await db.pool.query('ANALYZE tiny')
    const diag = pgDiagnostics(db.pool)
    const small = await diag.adviseIndexes('SELECT * FROM tiny WHERE v = $1', { params: [5] })
    expect(small.advice).toEqual([])
    expect(small.skipped[0]).toMatch(/below minRows/)
    const all = await diag.adviseIndexes('SELECT count(*) FROM orders')
    expect(all.skipped.join()).toMatch(/without a filter/)
    const or = await diag.adviseIndexes('SELECT * FROM orders WHERE total = $1 OR note = $2', { params: [1, 'x'] })
    expect(or.skipped.join()).toMatch(/OR/)
  })
})

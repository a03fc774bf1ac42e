import { randomBytes } from 'node:crypto'
import { postgresPing, requireService, serviceMissing } from '@perf/core/testing'
import pg from 'pg'
import { inject } from 'vitest'

const scope = '[perf:pg tests]'

/** The private server's URL when it runs and answers; else skips loudly (fails under PERF_REQUIRE_SERVICES=1). */
export async function privatePostgres(): Promise<string | undefined> {
  const url = inject('pgUrl')
  if (!url) {
    serviceMissing('a private PostgreSQL (initdb/pg_ctl)', inject('pgMissing'), { scope, skipping: 'PostgreSQL tests' })
    return undefined
  }
  const ok = await requireService(`PostgreSQL at ${url}`, () => postgresPing(url, 10_000), {
    scope,
    skipping: 'PostgreSQL tests',
  })
  return ok ? url : undefined
}

/** A fresh database on the private server; `drop()` removes it and ends the pool. */
export async function freshDatabase(url: string, options: { max?: number } = {}) {
  const name = `perf_pg_${randomBytes(5).toString('hex')}`
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  const dbUrl = url.replace(/\/[^/]*$/, `/${name}`)
  const pool = new pg.Pool({ connectionString: dbUrl, max: options.max ?? 10 })
  return {
    name,
    url: dbUrl,
    pool,
    async drop() {
      await pool.end().catch(() => undefined)
      const a = new pg.Client({ connectionString: url })
      await a.connect()
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined)
      await a.end()
    },
  }
}

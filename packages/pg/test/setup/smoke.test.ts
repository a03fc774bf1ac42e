import { describe, expect, it } from 'vitest'
import { freshDatabase, privatePostgres } from './database.js'

const url = await privatePostgres()

describe.skipIf(!url)('private PostgreSQL', () => {
  it('runs with pg_stat_statements preloaded', async () => {
    const db = await freshDatabase(url!)
    try {
      const { rows } = await db.pool.query<{ libs: string }>(
        "SELECT current_setting('shared_preload_libraries') AS libs",
      )
      expect(rows[0]!.libs).toContain('pg_stat_statements')
    } finally {
      await db.drop()
    }
  })
})

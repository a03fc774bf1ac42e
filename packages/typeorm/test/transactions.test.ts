import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { instrument, isInTransaction, type TypeormPerf } from '../src/index.js'
import { MATRIX, cachedFrom, has, openBlog } from './fixtures/inst-harness.js'

/** The driver connection under a QueryRunner (pg Client, mysql2 connection): both take a callback. */
interface RawConnection {
  query(sql: string, callback: (err: unknown) => void): unknown
}

for (const { label, typeorm, up, create } of MATRIX) {
  describe.skipIf(!up)(`instrument() transactions — ${label}`, () => {
    let blog: Awaited<ReturnType<typeof openBlog>>
    let perf: TypeormPerf
    const insertWidget = (name: string) => `INSERT INTO widgets (name) VALUES ('${name}')`
    const insertAuthor = (name: string) => `INSERT INTO authors (name) VALUES ('${name}')`

    beforeAll(async () => {
      blog = await openBlog(typeorm, create)
      perf = instrument(blog.ds, { cache: blog.cache, monitor: blog.monitor })
    })
    afterAll(async () => {
      perf?.uninstrument()
      await blog?.close()
    })
    beforeEach(async () => {
      await blog.cache.clear()
    })

    it('dataSource.transaction() invalidates only after COMMIT resolved', async () => {
      const widgets = await cachedFrom(blog.cache, 'widgets')
      const authors = await cachedFrom(blog.cache, 'authors')
      await blog.ds.transaction(async (manager) => {
        await manager.insert(blog.entities.Widget, { name: 'tx' })
        await manager.getRepository(blog.entities.Widget).update({ name: 'tx' }, { name: 'tx2' })
        expect(isInTransaction(manager.queryRunner)).toBe(true)
        expect(await has(blog.cache, widgets)).toBe(true)
      })
      expect(await has(blog.cache, widgets)).toBe(false)
      expect(await has(blog.cache, authors)).toBe(true)
    })

    it('a rolled-back dataSource.transaction() leaves the cache as it was', async () => {
      const widgets = await cachedFrom(blog.cache, 'widgets')
      await expect(
        blog.ds.transaction(async (manager) => {
          await manager.insert(blog.entities.Widget, { name: 'rolled back' })
          throw new Error('abort')
        }),
      ).rejects.toThrow('abort')
      expect(await has(blog.cache, widgets)).toBe(true)
      expect(await blog.ds.getRepository(blog.entities.Widget).countBy({ name: 'rolled back' })).toBe(0)
    })

    it('a rolled-back nested transaction (savepoint) drops only the inner writes', async () => {
      const widgets = await cachedFrom(blog.cache, 'widgets')
      const authors = await cachedFrom(blog.cache, 'authors')
      await blog.ds.transaction(async (manager) => {
        await manager.query(insertWidget('outer'))
        await expect(
          manager.transaction(async (inner) => {
            await inner.query(insertAuthor('inner'))
            throw new Error('inner abort')
          }),
        ).rejects.toThrow('inner abort')
      })
      expect(await has(blog.cache, widgets)).toBe(false)
      expect(await has(blog.cache, authors)).toBe(true)
    })

    it('a released savepoint joins the outer transaction and is invalidated at its commit', async () => {
      const authors = await cachedFrom(blog.cache, 'authors')
      const qr = blog.ds.createQueryRunner()
      try {
        await qr.startTransaction()
        await qr.startTransaction()
        await qr.query(insertAuthor('released'))
        await qr.commitTransaction()
        expect(await has(blog.cache, authors)).toBe(true)
        await qr.commitTransaction()
        expect(await has(blog.cache, authors)).toBe(false)
      } finally {
        await qr.release()
      }
    })

    it('concurrent transactions keep their own buffers: one commits, the other rolls back', async () => {
      const widgets = await cachedFrom(blog.cache, 'widgets')
      const authors = await cachedFrom(blog.cache, 'authors')
      let wrote!: () => void
      const bothWrote = new Promise<void>((resolve) => (wrote = resolve))
      let count = 0
      const written = () => (++count === 2 ? wrote() : undefined)
      await Promise.all([
        blog.ds.transaction(async (m) => {
          await m.query(insertWidget('concurrent commit'))
          written()
          await bothWrote
        }),
        blog.ds
          .transaction(async (m) => {
            await m.query(insertAuthor('concurrent rollback'))
            written()
            await bothWrote
            throw new Error('roll back')
          })
          .catch(() => undefined),
      ])
      expect(await has(blog.cache, widgets)).toBe(false)
      expect(await has(blog.cache, authors)).toBe(true)
    })

    it('QueryRunner manual transactions: commit invalidates, rollback does not', async () => {
      const widgets = await cachedFrom(blog.cache, 'widgets')
      const qr = blog.ds.createQueryRunner()
      try {
        await qr.startTransaction()
        await qr.manager.insert(blog.entities.Widget, { name: 'manual' })
        await qr.rollbackTransaction()
        expect(await has(blog.cache, widgets)).toBe(true)
        await qr.startTransaction()
        await qr.manager.insert(blog.entities.Widget, { name: 'manual' })
        expect(await has(blog.cache, widgets)).toBe(true)
        await qr.commitTransaction()
        expect(await has(blog.cache, widgets)).toBe(false)
      } finally {
        await qr.release()
      }
    })

    it('raw BEGIN / COMMIT / ROLLBACK sent through query() are honoured, savepoints by name', async () => {
      const widgets = await cachedFrom(blog.cache, 'widgets')
      const authors = await cachedFrom(blog.cache, 'authors')
      const qr = blog.ds.createQueryRunner()
      try {
        await qr.query('BEGIN')
        await qr.query(insertWidget('raw tx'))
        await qr.query('SAVEPOINT sp_a')
        await qr.query(insertAuthor('raw sp'))
        await qr.query('ROLLBACK TO SAVEPOINT sp_a')
        expect(await has(blog.cache, widgets)).toBe(true)
        await qr.query('COMMIT')
        expect(await has(blog.cache, widgets)).toBe(false)
        expect(await has(blog.cache, authors)).toBe(true)

        const again = await cachedFrom(blog.cache, 'widgets')
        await qr.query('START TRANSACTION')
        await qr.query(insertWidget('raw rollback'))
        await qr.query('ROLLBACK')
        expect(await has(blog.cache, again)).toBe(true)
      } finally {
        await qr.release()
      }
    })

    it('a write through a QueryRunner outside any transaction invalidates at once', async () => {
      const widgets = await cachedFrom(blog.cache, 'widgets')
      const qr = blog.ds.createQueryRunner()
      try {
        await qr.query(insertWidget('auto'))
        expect(await has(blog.cache, widgets)).toBe(false)
      } finally {
        await qr.release()
      }
    })

    it.skipIf(label.includes('PostgreSQL'))(
      'MySQL: DDL or TRUNCATE inside a transaction commits it implicitly, and its invalidations with it',
      async () => {
        const authors = await cachedFrom(blog.cache, 'authors')
        const qr = blog.ds.createQueryRunner()
        try {
          await qr.startTransaction()
          await qr.query(insertAuthor('implicitly committed'))
          expect(await has(blog.cache, authors)).toBe(true)
          await qr.query('TRUNCATE TABLE widgets')
          expect(await has(blog.cache, authors)).toBe(false)
          await qr.rollbackTransaction()
        } finally {
          await qr.release()
        }
        expect(await blog.ds.getRepository(blog.entities.Author).countBy({ name: 'implicitly committed' })).toBe(1)
      },
    )

    it('release() mid-transaction forgets the buffered invalidations', async () => {
      const widgets = await cachedFrom(blog.cache, 'widgets')
      const qr = blog.ds.createQueryRunner()
      await qr.startTransaction()
      await qr.query(insertWidget('never committed'))
      // Roll back on the connection itself first: TypeORM's release() returns it to the pool as is.
      const conn = (qr as unknown as { databaseConnection: RawConnection }).databaseConnection
      await new Promise<void>((resolve, reject) => conn.query('ROLLBACK', (err) => (err ? reject(err) : resolve())))
      await qr.release()
      expect(await has(blog.cache, widgets)).toBe(true)
      const other = blog.ds.createQueryRunner()
      try {
        await other.query(insertAuthor('after release'))
      } finally {
        await other.release()
      }
      expect(await has(blog.cache, widgets)).toBe(true)
    })
  })
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  TYPEORM_VERSIONS,
  createMariaDatabase,
  createPgSchema,
  mariadbAvailable,
  postgresAvailable,
} from './databases.js'

// The harness itself: each TypeORM version saves and finds a row on each database.
const DATABASES = [
  { name: 'PostgreSQL', type: 'postgres', up: await postgresAvailable(), create: createPgSchema },
  { name: 'MariaDB', type: 'mariadb', up: await mariadbAvailable(), create: createMariaDatabase },
] as const

for (const { label, typeorm } of TYPEORM_VERSIONS) {
  for (const database of DATABASES) {
    describe.skipIf(!database.up)(`${label} on ${database.name}`, () => {
      let db: Awaited<ReturnType<typeof database.create>>
      let ds: InstanceType<typeof typeorm.DataSource>
      const User = new typeorm.EntitySchema<{ id: number; name: string }>({
        name: 'SmokeUser',
        tableName: 'smoke_users',
        columns: { id: { type: Number, primary: true, generated: true }, name: { type: String } },
      })
      beforeAll(async () => {
        db = await database.create()
        ds = new typeorm.DataSource({ ...db.options, entities: [User], synchronize: true })
        await ds.initialize()
      })
      afterAll(async () => {
        await ds?.destroy()
        await db?.drop()
      })
      it('saves and finds a row', async () => {
        await ds.getRepository(User).save({ name: 'ann' })
        expect(await ds.getRepository(User).findOneBy({ name: 'ann' })).toEqual({ id: 1, name: 'ann' })
        expect(ds.driver.options.type).toBe(database.type)
      })
    })
  }
}

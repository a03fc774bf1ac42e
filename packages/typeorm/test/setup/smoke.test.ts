import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  TYPEORM_VERSIONS,
  createMariaDatabase,
  createPgSchema,
  mariadbAvailable,
  postgresAvailable,
} from './databases.js'

const pgUp = await postgresAvailable()
const mariaUp = await mariadbAvailable()

for (const { label, typeorm } of TYPEORM_VERSIONS) {
  describe.skipIf(!pgUp)(`${label} on PostgreSQL`, () => {
    let db: Awaited<ReturnType<typeof createPgSchema>>
    let ds: InstanceType<typeof typeorm.DataSource>
    const User = new typeorm.EntitySchema<{ id: number; name: string }>({
      name: 'SmokeUser',
      tableName: 'smoke_users',
      columns: { id: { type: Number, primary: true, generated: true }, name: { type: String } },
    })
    beforeAll(async () => {
      db = await createPgSchema()
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
      expect(ds.driver.options.type).toBe('postgres')
    })
  })

  describe.skipIf(!mariaUp)(`${label} on MariaDB`, () => {
    let db: Awaited<ReturnType<typeof createMariaDatabase>>
    let ds: InstanceType<typeof typeorm.DataSource>
    const User = new typeorm.EntitySchema<{ id: number; name: string }>({
      name: 'SmokeUser',
      tableName: 'smoke_users',
      columns: { id: { type: Number, primary: true, generated: true }, name: { type: String } },
    })
    beforeAll(async () => {
      db = await createMariaDatabase()
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
    })
  })
}

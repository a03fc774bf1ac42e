import { createCache } from '@perf/core'
import { createRedisClient, redisStore } from '@perf/redis'
import * as typeorm from 'typeorm'
import { queryResultCache, instrument } from '../dist/index.mjs'
const mode = process.argv[2]
const client = createRedisClient('redis://127.0.0.1:6379/15')
const cache = createCache({ namespace: 'p', tiers: [redisStore(client, { prefix: 'perf:p:' + mode })] })
class P {}
const ds = new typeorm.DataSource({
  type: 'postgres',
  url: 'postgresql://postgres@127.0.0.1:5432/test',
  schema: 'pbench',
  extra: { options: '-c search_path=pbench' },
  synchronize: true,
  entities: [
    new typeorm.EntitySchema({
      name: 'P',
      target: P,
      tableName: 'pb',
      columns: { id: { type: Number, primary: true, generated: true }, name: { type: String } },
    }),
  ],
  cache: mode === 'builtin' ? { type: 'ioredis', options: { db: 14 } } : { provider: () => queryResultCache(cache) },
})
const admin = new (await import('pg')).default.Client({ connectionString: 'postgresql://postgres@127.0.0.1:5432/test' })
await admin.connect()
await admin.query('CREATE SCHEMA IF NOT EXISTS pbench')
await ds.initialize()
await ds.getRepository(P).save({ name: 'x' })
if (mode === 'fast') instrument(ds, { cache, defaults: { ttl: 600000 } })
const read =
  mode === 'fast'
    ? () => ds.getRepository(P).findOneBy({ id: 1 })
    : () => ds.getRepository(P).findOne({ where: { id: 1 }, cache: 600000 })
for (let i = 0; i < 500; i++) await read()
const cpu0 = process.cpuUsage()
const t = process.hrtime.bigint()
for (let i = 0; i < 3000; i++) await read()
const wall = Number(process.hrtime.bigint() - t) / 3000 / 1000
const cpu = process.cpuUsage(cpu0)
console.log(mode, 'wall µs', wall.toFixed(1), 'cpu µs/call', ((cpu.user + cpu.system) / 3000).toFixed(1))
await ds.destroy()
await admin.query('DROP SCHEMA pbench CASCADE')
await admin.end()
await cache.clear()
await cache.close()
client.disconnect()

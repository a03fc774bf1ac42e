import { randomBytes } from 'node:crypto'
import { MemoryStore, createCache } from '@perf/core'
import pg from 'pg'
import { DataTypes, Sequelize } from 'sequelize'
import { instrument } from '../dist/index.mjs'
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test'
const schema = `perf_sq_prof_${randomBytes(4).toString('hex')}`
const admin = new pg.Client({ connectionString: DATABASE_URL })
await admin.connect()
await admin.query(`CREATE SCHEMA ${schema}`)
const sequelize = new Sequelize(DATABASE_URL, {
  dialect: 'postgres',
  logging: false,
  dialectOptions: { options: `-c search_path=${schema}` },
})
const Product = sequelize.define(
  'Product',
  { name: DataTypes.STRING, price: DataTypes.DECIMAL(10, 2), data: DataTypes.JSONB, releasedAt: DataTypes.DATE },
  { tableName: 'products' },
)
await sequelize.sync()
await Product.create({ name: 'x', price: '1.00', data: { a: 1 }, releasedAt: new Date() })
const cache = createCache({ tiers: [new MemoryStore()] })
instrument(sequelize, { cache })
await Product.findByPk(1, { cache: { ttl: '5m' } })
const n = Number(process.env.N ?? 5000)
const t = performance.now()
for (let i = 0; i < n; i++) await Product.findByPk(1, { cache: { ttl: '5m' } })
console.log('hit µs', ((performance.now() - t) * 1000) / n)
const t2 = performance.now()
for (let i = 0; i < 500; i++) await Product.findByPk(1)
console.log('db µs', ((performance.now() - t2) * 1000) / 500)
await sequelize.close()
await cache.close()
await admin.query(`DROP SCHEMA ${schema} CASCADE`)
await admin.end()

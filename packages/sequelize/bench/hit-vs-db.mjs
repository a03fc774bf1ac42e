// Side-by-side timings of @perf/sequelize on PostgreSQL: cached hits vs the same uncached calls,
// instrument()'s overhead on uncached queries, and pkLoader vs a hand-written `= ANY($1)`.
// Run: pnpm --filter @perf/sequelize build && pnpm --filter @perf/sequelize bench
import { randomBytes } from 'node:crypto'
import { MemoryStore, createCache } from '@perf/core'
import pg from 'pg'
import { DataTypes, QueryTypes, Sequelize } from 'sequelize'
import { instrument, pkLoader } from '../dist/index.mjs'

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test'
const ROUNDS = Number(process.env.ROUNDS ?? 5)
const N = Number(process.env.N ?? 400)

const schema = `perf_sq_bench_${randomBytes(4).toString('hex')}`
const admin = new pg.Client({ connectionString: DATABASE_URL })
await admin.connect()
await admin.query(`CREATE SCHEMA ${schema}`)

function open() {
  const sequelize = new Sequelize(DATABASE_URL, {
    dialect: 'postgres',
    logging: false,
    dialectOptions: { options: `-c search_path=${schema}` },
    pool: { max: 4 },
  })
  const Category = sequelize.define('Category', { name: DataTypes.STRING }, { tableName: 'categories' })
  const Product = sequelize.define(
    'Product',
    { name: DataTypes.STRING, price: DataTypes.DECIMAL(10, 2), data: DataTypes.JSONB, releasedAt: DataTypes.DATE },
    { tableName: 'products' },
  )
  Product.belongsTo(Category, { as: 'category', foreignKey: 'categoryId' })
  return { sequelize, Product, Category }
}

const plain = open()
await plain.sequelize.sync()
await plain.Category.bulkCreate([{ name: 'a' }, { name: 'b' }])
await plain.Product.bulkCreate(
  Array.from({ length: 1000 }, (_, i) => ({
    name: `p${i}`,
    price: `${i}.50`,
    data: { i, tags: ['x', 'y'] },
    releasedAt: new Date(),
    categoryId: 1 + (i % 2),
  })),
)
const inst = open()
const cache = createCache({ tiers: [new MemoryStore()] })
instrument(inst.sequelize, { cache })

async function time(fn) {
  const start = performance.now()
  for (let i = 0; i < N; i++) await fn(i)
  return ((performance.now() - start) * 1000) / N
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const cases = {
  'findByPk, uncached (plain Sequelize)': () => plain.Product.findByPk(7),
  'findByPk, instrumented, not cached': () => inst.Product.findByPk(7),
  'findByPk, cached L1 hit': () => inst.Product.findByPk(7, { cache: { ttl: '5m' } }),
  'findAll 50 rows + include, uncached (plain)': () =>
    plain.Product.findAll({ include: [{ model: plain.Category, as: 'category' }], limit: 50, order: [['id', 'ASC']] }),
  'findAll 50 rows + include, instrumented, not cached': () =>
    inst.Product.findAll({ include: [{ model: inst.Category, as: 'category' }], limit: 50, order: [['id', 'ASC']] }),
  'findAll 50 rows + include, cached L1 hit': () =>
    inst.Product.findAll({
      include: [{ model: inst.Category, as: 'category' }],
      limit: 50,
      order: [['id', 'ASC']],
      cache: { ttl: '5m' },
    }),
}
const ids = Array.from({ length: 1000 }, (_, i) => i + 1)
const batchCases = {
  '1000 loads through pkLoader (1 statement)': async () => {
    const loader = pkLoader(inst.Product, { maxBatchSize: 1000 })
    await Promise.all(ids.map((id) => loader.load(id)))
  },
  '1000 rows by hand: findAll where id = ANY($1)': () =>
    inst.sequelize.query('SELECT * FROM products WHERE id = ANY($1)', {
      bind: [ids],
      type: QueryTypes.SELECT,
      model: inst.Product,
      mapToModel: true,
    }),
}

const results = Object.fromEntries([...Object.keys(cases), ...Object.keys(batchCases)].map((k) => [k, []]))
for (const fn of [...Object.values(cases), ...Object.values(batchCases)]) await fn(0) // warm up, fill the cache
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, fn] of Object.entries(cases)) results[name].push(await time(fn))
  for (const [name, fn] of Object.entries(batchCases)) {
    const start = performance.now()
    for (let i = 0; i < 20; i++) await fn()
    results[name].push(((performance.now() - start) * 1000) / 20)
  }
}
const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)]))
const rows = Object.entries(m).map(([k, us]) => `| ${k} | ${us.toFixed(1)} µs |`)
console.log(`| case (median of ${ROUNDS} rounds × ${N} calls) | time per call |\n| --- | --- |\n${rows.join('\n')}`)
const ratio = (a, b) => (m[a] / m[b]).toFixed(2)
console.log(`\nfindByPk hit speed-up: ${ratio('findByPk, uncached (plain Sequelize)', 'findByPk, cached L1 hit')}×`)
console.log(
  `findAll+include hit speed-up: ${ratio('findAll 50 rows + include, uncached (plain)', 'findAll 50 rows + include, cached L1 hit')}×`,
)
console.log(
  `uncached overhead, findByPk: ${((m['findByPk, instrumented, not cached'] / m['findByPk, uncached (plain Sequelize)'] - 1) * 100).toFixed(1)} %`,
)
console.log(
  `uncached overhead, findAll+include: ${((m['findAll 50 rows + include, instrumented, not cached'] / m['findAll 50 rows + include, uncached (plain)'] - 1) * 100).toFixed(1)} %`,
)
console.log(
  `pkLoader vs hand-written ANY: ${ratio('1000 loads through pkLoader (1 statement)', '1000 rows by hand: findAll where id = ANY($1)')}×`,
)

await plain.sequelize.close()
await inst.sequelize.close()
await cache.close()
await admin.query(`DROP SCHEMA ${schema} CASCADE`)
await admin.end()

// A/B of the sequential L2 (Redis-only) getOrSet hit between two checkouts (built), in one process,
// rounds interleaved, on the Redis at REDIS_PORT (6379):
//
//   node packages/bench/src/ab-l2.mjs <before checkout> <after checkout>
//
// Prints median µs per hit of each and the median per-round ratio before/after (> 1: after is faster).
import { createRequire } from 'node:module'
const [beforeRoot, afterRoot] = process.argv.slice(2)
if (!beforeRoot || !afterRoot) throw new Error('usage: ab-l2.mjs <before checkout> <after checkout>')
const { Redis } = createRequire(`${afterRoot}/packages/redis/package.json`)('ioredis')
const load = async (root) => ({
  core: await import(`${root}/packages/core/dist/index.mjs`),
  redis: await import(`${root}/packages/redis/dist/index.mjs`),
})
const builds = { before: await load(beforeRoot), after: await load(afterRoot) }
const rows = Array.from({ length: 2000 }, (_, i) => ({
  id: i,
  name: `user${i}`,
  email: `u${i}@x.io`,
  active: true,
  score: i * 1.5,
}))
const runners = {}
for (const [name, b] of Object.entries(builds)) {
  const client = new Redis({ port: Number(process.env.REDIS_PORT ?? 6379) })
  const cache = b.core.createCache({
    namespace: `ab${name}`,
    tiers: [b.redis.redisStore(client, { prefix: `abl2:${name}:${Date.now()}:` })],
  })
  for (let i = 0; i < rows.length; i++) await cache.set(`k${i}`, rows[i], { ttl: '10m' })
  runners[name] = new Function(
    'cache',
    `return async function ${name}(n, off) { for (let i = 0; i < n; i++) await cache.getOrSet('k' + ((i + off) % 2000), () => null, { ttl: 600000 }) }`,
  )(cache)
}
const ns = { before: [], after: [] }
for (let r = 0; r < 31; r++) {
  for (const name of r % 2 ? ['before', 'after'] : ['after', 'before']) {
    const t = performance.now()
    await runners[name](1000, r * 37)
    ns[name].push(((performance.now() - t) * 1e3) / 1000)
  }
}
const med = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1]
console.log(
  `sequential L2 getOrSet hit: before ${med(ns.before).toFixed(1)} µs, after ${med(ns.after).toFixed(1)} µs, before/after ${med(ns.before.map((b, i) => b / ns.after[i]).slice(1)).toFixed(3)}`,
)
process.exit(0)

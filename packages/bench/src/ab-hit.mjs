// A/B of the L1 getOrSet hit between two builds of @perf/core, in one process, rounds interleaved
// (a machine whose speed drifts between runs cannot fake a difference this way).
//
//   node packages/bench/src/ab-hit.mjs <before>/packages/core/dist/index.mjs <after>/packages/core/dist/index.mjs ['{"ttl":600000,"tags":["users"]}']
//
// Prints the median ns per hit of each build and the median of the per-round ratios before/after
// (> 1: the second build is faster).
const [beforePath, afterPath, optionsJson] = process.argv.slice(2)
if (!beforePath || !afterPath)
  throw new Error('usage: ab-hit.mjs <before dist/index.mjs> <after dist/index.mjs> [options json]')
const options = optionsJson === undefined ? undefined : JSON.parse(optionsJson)
const builds = { before: await import(beforePath), after: await import(afterPath) }
const rows = Array.from({ length: 10_000 }, (_, i) => ({
  id: i,
  name: `user${i}`,
  email: `u${i}@x.io`,
  active: true,
  score: i * 1.5,
  createdAt: new Date(0),
}))
const keys = Array.from({ length: 10_000 }, (_, i) => `k${(i * 7919) % 10_000}`)
const runners = {}
for (const [name, core] of Object.entries(builds)) {
  const cache = core.createCache()
  for (let i = 0; i < rows.length; i++) await cache.set(`k${i}`, rows[i])
  // A loop of its own per build, so neither shares call-site feedback with the other.
  runners[name] = new Function(
    'cache',
    'keys',
    'loader',
    'options',
    `return async function ${name}(n) { for (let i = 0; i < n; i++) await cache.getOrSet(keys[i % 10000], loader, options) }`,
  )(cache, keys, () => null, options)
}
const ns = { before: [], after: [] }
for (let round = 0; round < 41; round++) {
  for (const name of round % 2 ? ['before', 'after'] : ['after', 'before']) {
    const started = performance.now()
    await runners[name](50_000)
    ns[name].push(((performance.now() - started) * 1e6) / 50_000)
  }
}
const median = (values) => values.slice().sort((a, b) => a - b)[values.length >> 1]
const ratios = ns.before.map((b, i) => b / ns.after[i]).slice(1)
console.log(
  `getOrSet L1 hit${options ? ` with ${optionsJson}` : ''}: before ${median(ns.before).toFixed(0)} ns, after ${median(ns.after).toFixed(0)} ns, before/after ${median(ratios).toFixed(3)}`,
)

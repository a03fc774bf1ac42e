// What hot-key tracking costs a getOrSet L1 hit: one build of @perf/core, one process, caches
// with hotKeys off and on (sampled 1/16 by default, or every read) measured in interleaved rounds.
//
//   node packages/bench/src/ab-hot-keys.mjs packages/core/dist/index.mjs [distinct keys, default 10000]
//
// Prints the median ns per hit of each and the median of the per-round ratios on/off (> 1: on is slower).
const [corePath, distinctArg] = process.argv.slice(2)
if (!corePath) throw new Error('usage: ab-hot-keys.mjs <core dist/index.mjs> [distinct keys]')
const core = await import(new URL(corePath, `file://${process.cwd()}/`).href)
const distinct = Number(distinctArg ?? 10_000)
const keys = Array.from({ length: distinct }, (_, i) => `k${(i * 7919) % distinct}`)
const variants = {
  off: { hotKeys: false },
  sampled: { hotKeys: 64 },
  every: { hotKeys: { capacity: 64, sampleRate: 1 } },
}
const runners = {}
for (const [name, options] of Object.entries(variants)) {
  const cache = core.createCache(options)
  for (let i = 0; i < distinct; i++) await cache.set(`k${i}`, { id: i, name: `user${i}` })
  // A loop of its own per variant, so none shares call-site feedback with another.
  runners[name] = new Function(
    'cache',
    'keys',
    'loader',
    'n0',
    `return async function ${name}(n) { for (let i = 0; i < n; i++) await cache.getOrSet(keys[i % n0], loader) }`,
  )(cache, keys, () => null, distinct)
}
const names = Object.keys(variants)
const ns = Object.fromEntries(names.map((n) => [n, []]))
for (let round = 0; round < 31; round++) {
  const order = round % 2 ? names : [...names].reverse()
  for (const name of order) {
    const started = performance.now()
    await runners[name](50_000)
    ns[name].push(((performance.now() - started) * 1e6) / 50_000)
  }
}
const median = (values) => values.slice().sort((a, b) => a - b)[values.length >> 1]
const ratio = (name) => median(ns[name].map((v, i) => v / ns.off[i]).slice(1)).toFixed(3)
console.log(
  `node ${process.version}, ${distinct} distinct keys: getOrSet L1 hit off ${median(ns.off).toFixed(0)} ns, ` +
    `hotKeys: 64 (1/16 sampled) ${median(ns.sampled).toFixed(0)} ns (x${ratio('sampled')}), ` +
    `every read ${median(ns.every).toFixed(0)} ns (x${ratio('every')})`,
)

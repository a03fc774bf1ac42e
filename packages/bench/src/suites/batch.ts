import DataLoader from 'dataloader'
import { loadCore, requireCore, type CoreApi } from '../core.js'
import type { CaseResult } from '../harness/measure.js'
import type { Suite, SuiteContext } from '../harness/suite.js'

const LOADS = 1000

type BatchFn = (keys: ReadonlyArray<number>) => Promise<Array<{ id: number }>>
/** The same batch function for both loaders: one row per key, in key order. */
const rows: BatchFn = async (keys) => keys.map((id) => ({ id }))

/** Keys of one scenario: `LOADS` loads, `distinct` distinct keys (repeats hit the memo). */
function scenarioKeys(distinct: number): Int32Array {
  const keys = new Int32Array(LOADS)
  for (let i = 0; i < LOADS; i++) keys[i] = (i * 7919) % distinct
  return keys
}

interface Scenario {
  name: string
  keys: Int32Array
  maxBatchSize?: number
}

const SCENARIOS: Scenario[] = [
  { name: '1000 distinct keys', keys: scenarioKeys(1000) },
  { name: '1000 loads over 250 distinct keys', keys: scenarioKeys(250) },
  { name: '1000 distinct keys, maxBatchSize 100', keys: scenarioKeys(1000), maxBatchSize: 100 },
]

type Loader = { load(key: number): Promise<{ id: number }> }
type MakeLoader = (fn: BatchFn, maxBatchSize: number | undefined) => Loader

/** One request's worth of loading: a fresh loader, LOADS loads in one tick, await them all. */
async function oneTick(make: MakeLoader, fn: BatchFn, s: Scenario): Promise<void> {
  const loader = make(fn, s.maxBatchSize)
  const pending = new Array<Promise<{ id: number }>>(LOADS)
  for (let i = 0; i < LOADS; i++) pending[i] = loader.load(s.keys[i] as number)
  const values = await Promise.all(pending)
  if (values[LOADS - 1]?.id !== s.keys[LOADS - 1]) throw new Error('[bench] loader returned a wrong row')
}

/** Batch-function calls (and keys per call) for one tick of a scenario. */
async function countCalls(make: MakeLoader, s: Scenario): Promise<number[]> {
  const sizes: number[] = []
  await oneTick(
    make,
    async (keys) => {
      sizes.push(keys.length)
      return rows(keys)
    },
    s,
  )
  return sizes
}

function describeCalls(sizes: number[]): string {
  const distinct = [...new Set(sizes)]
  return `${sizes.length} (${distinct.length === 1 ? `${distinct[0]} keys each` : sizes.join(', ')})`
}

async function loaderCases(ctx: SuiteContext, core: Pick<CoreApi, 'BatchLoader'>): Promise<Map<string, CaseResult>> {
  const makeOurs: MakeLoader = (fn, maxBatchSize) =>
    new core.BatchLoader<number, { id: number }>(fn, maxBatchSize ? { maxBatchSize } : {})
  const makeTheirs: MakeLoader = (fn, maxBatchSize) =>
    new DataLoader<number, { id: number }>(fn, maxBatchSize ? { maxBatchSize } : {})
  const countRows: string[][] = []
  for (const s of SCENARIOS) {
    const theirs = await countCalls(makeTheirs, s)
    const ours = await countCalls(makeOurs, s)
    const same = theirs.join() === ours.join()
    countRows.push([s.name, describeCalls(theirs), describeCalls(ours), same ? 'yes' : 'NO'])
    ctx.target(
      `BatchLoader batch-function calls identical to dataloader (${s.name})`,
      'exact',
      same ? 1 : 0,
      '==',
      1,
      (v) => (v === 1 ? 'identical' : 'different'),
    )
  }
  ctx.table({
    title: 'BatchLoader vs dataloader — batch-function calls for 1000 loads in one tick',
    headers: ['scenario', 'dataloader calls', 'BatchLoader calls', 'identical'],
    rows: countRows,
  })
  let main: Map<string, CaseResult> | undefined
  for (const s of SCENARIOS) {
    const results = await ctx.compare(
      `BatchLoader vs dataloader — ${s.name}`,
      [
        {
          name: 'dataloader',
          opsPerCall: LOADS,
          async run(n) {
            for (let i = 0; i < n; i++) await oneTick(makeTheirs, rows, s)
          },
        },
        {
          name: 'BatchLoader',
          opsPerCall: LOADS,
          async run(n) {
            for (let i = 0; i < n; i++) await oneTick(makeOurs, rows, s)
          },
        },
      ],
      {
        baseline: 'dataloader',
        note: 'ops/s counts loads: one unit is a fresh loader (one per request, as in GraphQL), 1000 `load()` calls in one tick, then awaiting all of them.',
      },
    )
    main ??= results
  }
  return main as Map<string, CaseResult>
}

async function retryCases(ctx: SuiteContext, retry: CoreApi['retry']): Promise<void> {
  const work = async () => 1
  await ctx.compare(
    'retry() overhead — a function that succeeds at once',
    [
      {
        name: 'direct await',
        async run(n) {
          for (let i = 0; i < n; i++) await work()
        },
      },
      {
        name: 'retry(fn)',
        async run(n) {
          for (let i = 0; i < n; i++) await retry(work)
        },
      },
    ],
    {
      baseline: 'direct await',
      note: 'Default policy (3 attempts, exponential backoff); no attempt fails, so this is the price of the wrapper.',
    },
  )
}

async function batchesCases(ctx: SuiteContext, batches: CoreApi['batches']): Promise<void> {
  const ITEMS = 10_000
  const SIZE = 100
  const items = Array.from({ length: ITEMS }, (_, i) => i)
  let sink = 0
  const write = async (batch: unknown[]) => {
    sink += batch.length
  }
  await ctx.compare(
    `batches() overhead — ${ITEMS.toLocaleString('en-US')} items in batches of ${SIZE}, no-op async writer`,
    [
      {
        name: 'hand-written slice loop',
        opsPerCall: ITEMS,
        async run(n) {
          for (let r = 0; r < n; r++) for (let i = 0; i < ITEMS; i += SIZE) await write(items.slice(i, i + SIZE))
        },
      },
      {
        name: 'batches(array)',
        opsPerCall: ITEMS,
        async run(n) {
          for (let r = 0; r < n; r++) await batches(items, write, { size: SIZE })
        },
      },
      {
        name: 'batches(generator)',
        opsPerCall: ITEMS,
        async run(n) {
          for (let r = 0; r < n; r++) await batches(generate(ITEMS), write, { size: SIZE })
        },
      },
    ],
    {
      baseline: 'hand-written slice loop',
      note: 'ops/s counts items. batches() defaults: concurrency 1, no retry; the generator row streams the source instead of holding an array.',
    },
  )
  if (sink === 0) throw new Error('[bench] batches wrote nothing')
}

function* generate(count: number): Generator<number> {
  for (let i = 0; i < count; i++) yield i
}

/** Issue 3: BatchLoader vs dataloader, plus retry() and batches() overhead. */
const suite: Suite = {
  name: 'batch',
  title: 'BatchLoader vs dataloader; retry and batches overhead (issue 3)',
  libraries: ['@perf/core', 'dataloader'],
  async run(ctx) {
    const core = await requireCore(ctx, ['BatchLoader'])
    if (!core) return
    const main = await loaderCases(ctx, core)
    ctx.target(
      'BatchLoader loads/s vs dataloader (1000 distinct keys in one tick)',
      'speed',
      ctx.ratio(main, 'BatchLoader', 'dataloader'),
      '>=',
      1,
    )

    const extra = await loadCore(['retry', 'batches'])
    if (extra.fromSource.length > 0)
      ctx.warn(`${extra.fromSource.join(', ')} loaded from packages/core/src (not exported from @perf/core yet)`)
    if (extra.api.retry) await retryCases(ctx, extra.api.retry)
    else ctx.text('retry() not measured: not available in @perf/core yet.')
    if (extra.api.batches) await batchesCases(ctx, extra.api.batches)
    else ctx.text('batches() not measured: not available in @perf/core yet.')
  },
}

export default suite

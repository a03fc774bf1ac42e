import { describe, expect, it } from 'vitest'
import { isPerfError, type PerfError } from '../errors.js'
import { AdaptiveBatchSize } from './adaptive-batch-size.js'
import { backoff } from './backoff.js'
import { batches } from './batches.js'
import type { BatchProgress } from './batches-options.js'
import { rejection } from '../__tests__/errors.js'

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i)
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** A promise plus its resolve function, for holding a batch open. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined
  const promise = new Promise<void>((resolve) => (open = resolve))
  return { promise, open }
}

/** An endless sync generator that counts pulls and whether it was closed. */
function counter(): { source: Generator<number>; state: { pulled: number; closed: boolean } } {
  const state = { pulled: 0, closed: false }
  function* generate(): Generator<number> {
    try {
      for (;;) yield state.pulled++
    } finally {
      state.closed = true
    }
  }
  return { source: generate(), state }
}

describe('batches', () => {
  it('batches() passes consecutive slices of size items with their batch index', async () => {
    const seen: Array<[number[], number]> = []
    const result = await batches(range(10), (items, { batchIndex }) => void seen.push([items, batchIndex]), { size: 3 })
    expect(seen).toEqual([
      [[0, 1, 2], 0],
      [[3, 4, 5], 1],
      [[6, 7, 8], 2],
      [[9], 3],
    ])
    expect(result).toEqual({ processed: 10, failed: [], batches: 4 })
  })

  it('batches() reads async iterables and empty sources', async () => {
    async function* letters(): AsyncGenerator<string> {
      for (const c of 'abcde') {
        await tick()
        yield c
      }
    }
    const seen: string[][] = []
    expect(await batches(letters(), (items) => void seen.push(items), { size: 2 })).toEqual({
      processed: 5,
      failed: [],
      batches: 3,
    })
    expect(seen).toEqual([['a', 'b'], ['c', 'd'], ['e']])
    expect(await batches([], () => undefined, { size: 2 })).toEqual({ processed: 0, failed: [], batches: 0 })
  })

  it('batches() never has more than concurrency batches in flight, and uses all of them', async () => {
    let inFlight = 0
    let peak = 0
    await batches(
      range(40),
      async () => {
        peak = Math.max(peak, ++inFlight)
        await tick()
        inFlight--
      },
      { size: 2, concurrency: 3 },
    )
    expect(peak).toBe(3)
  })

  it('batches() pulls from an endless source only when a worker is free (at most concurrency × size ahead)', async () => {
    const { source, state } = counter()
    const gates = [gate(), gate(), gate(), gate(), gate()]
    const controller = new AbortController()
    let started = 0
    const run = batches(source, () => gates[started++]?.promise, { size: 5, concurrency: 2, signal: controller.signal })
    for (let i = 0; i < 5; i++) await tick()
    expect(started).toBe(2)
    expect(state.pulled).toBe(10)
    gates[0]?.open()
    for (let i = 0; i < 5; i++) await tick()
    expect(started).toBe(3)
    expect(state.pulled).toBe(15)
    controller.abort(new Error('enough'))
    for (const g of gates) g.open()
    expect(((await rejection(run)) as Error).message).toBe('enough')
    expect(state.pulled).toBeLessThanOrEqual(2 * 5 + 5)
    expect(state.closed).toBe(true)
  })

  it('batches() on abort stops pulling and rejects with the reason only after in-flight batches settle', async () => {
    const { source, state } = counter()
    const controller = new AbortController()
    const held = gate()
    const events: string[] = []
    let signalSeen: AbortSignal | undefined
    const run = batches(
      source,
      async (items, { signal }) => {
        signalSeen = signal
        events.push(`start ${items[0]}`)
        await held.promise
        events.push(`end ${items[0]}`)
      },
      { size: 4, concurrency: 2, signal: controller.signal },
    )
    const outcome = run.then(
      () => 'resolved',
      (error: unknown) => (events.push('rejected'), error),
    )
    await tick()
    const reason = new Error('deploy')
    controller.abort(reason)
    expect(signalSeen?.aborted).toBe(true)
    await tick()
    expect(events).toEqual(['start 0', 'start 4'])
    held.open()
    expect(await outcome).toBe(reason)
    expect(events).toEqual(['start 0', 'start 4', 'end 0', 'end 4', 'rejected'])
    expect(state.pulled).toBe(8)
  })

  it('batches() rejects at once when aborted while a stalled async source never yields', async () => {
    const controller = new AbortController()
    const stalled: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({ next: () => new Promise<IteratorResult<number>>(() => undefined) }),
    }
    const run = batches(stalled, () => undefined, { size: 3, signal: controller.signal })
    await tick()
    controller.abort()
    expect(isPerfError(await rejection(run), 'ABORTED')).toBe(true)
  })

  it('batches() reports progress after every batch with total, rate and ETA', async () => {
    let now = 0
    const progress: BatchProgress[] = []
    await batches(
      range(10),
      () => {
        now += 1_000
      },
      { size: 4, clock: { now: () => now }, onProgress: (p) => progress.push(p) },
    )
    expect(progress).toEqual([
      { done: 4, failed: 0, total: 10, batches: 1, ratePerSec: 4, etaMs: 1_500 },
      { done: 8, failed: 0, total: 10, batches: 2, ratePerSec: 4, etaMs: 500 },
      { done: 10, failed: 0, total: 10, batches: 3, ratePerSec: 10 / 3, etaMs: 0 },
    ])
  })

  it('batches() takes total from options, and leaves it and the ETA undefined for a plain iterator', async () => {
    const fromOption: BatchProgress[] = []
    await batches(new Set([1, 2, 3]), () => undefined, { size: 2, total: 7, onProgress: (p) => fromOption.push(p) })
    expect(fromOption[0]?.total).toBe(7)
    const unknown: BatchProgress[] = []
    await batches(range(3).values(), () => undefined, { size: 2, onProgress: (p) => unknown.push(p) })
    expect(unknown.map((p) => [p.total, p.etaMs])).toEqual([
      [undefined, undefined],
      [undefined, undefined],
    ])
  })

  it('batches() without continueOnError rejects with BATCH_FAILED listing the failed items and stops pulling', async () => {
    const { source, state } = counter()
    const cause = new Error('duplicate key')
    const error = (await rejection(
      batches(
        source,
        (items, { batchIndex }) => {
          if (batchIndex === 2) throw cause
        },
        { size: 3 },
      ),
    )) as PerfError
    expect(isPerfError(error, 'BATCH_FAILED')).toBe(true)
    expect(error.cause).toBe(cause)
    expect(error.context).toMatchObject({ batchIndex: 2, items: [6, 7, 8] })
    expect(error.message).toContain('batch 2 (3 items) failed: duplicate key')
    expect(state.pulled).toBe(9)
    expect(state.closed).toBe(true)
  })

  it('batches() with continueOnError collects every failed batch with its items and goes on', async () => {
    const progress: BatchProgress[] = []
    const result = await batches(
      range(10),
      (items) => {
        if (items.includes(4) || items.includes(9)) throw new Error(`bad ${items[0]}`)
      },
      { size: 3, continueOnError: true, onProgress: (p) => progress.push(p) },
    )
    expect(result.processed).toBe(6)
    expect(result.batches).toBe(4)
    expect(result.failed.map((f) => [f.batchIndex, f.items, (f.error as Error).message])).toEqual([
      [1, [3, 4, 5], 'bad 3'],
      [3, [9], 'bad 9'],
    ])
    expect(progress.at(-1)).toMatchObject({ done: 6, failed: 4, batches: 4 })
  })

  it('batches() with continueOnError rejects once more than maxFailedBatches have failed', async () => {
    const { source } = counter()
    const error = (await rejection(
      batches(
        source,
        () => {
          throw new Error('down')
        },
        { size: 2, continueOnError: true, maxFailedBatches: 3 },
      ),
    )) as PerfError
    expect(isPerfError(error, 'BATCH_FAILED')).toBe(true)
    expect(error.message).toContain('maxFailedBatches=3')
    expect(error.context.failed).toHaveLength(4)
  })

  it('batches() retries a failing batch under the retry policy and counts it as processed', async () => {
    const attempts: Array<[number, number]> = []
    const result = await batches(
      range(4),
      (_items, { batchIndex, attempt }) => {
        attempts.push([batchIndex, attempt])
        if (batchIndex === 1 && attempt < 3) throw new Error('deadlock detected')
      },
      { size: 2, retry: { maxAttempts: 3, backoff: backoff.fixed({ initialMs: 0 }) } },
    )
    expect(result).toEqual({ processed: 4, failed: [], batches: 2 })
    expect(attempts).toEqual([
      [0, 1],
      [1, 1],
      [1, 2],
      [1, 3],
    ])
  })

  it('batches() reports a batch whose retries run out as failed with RETRY_EXHAUSTED', async () => {
    const result = await batches(
      range(2),
      () => {
        throw new Error('still down')
      },
      { size: 2, continueOnError: true, retry: { maxAttempts: 2, backoff: backoff.fixed({ initialMs: 0 }) } },
    )
    expect(result.failed).toHaveLength(1)
    expect(isPerfError(result.failed[0]?.error, 'RETRY_EXHAUSTED')).toBe(true)
    expect((result.failed[0]?.error as PerfError).context).toMatchObject({ attempts: 2 })
  })

  it('batches() sizes each batch from an AdaptiveBatchSize fed with measured durations', async () => {
    let now = 0
    const size = new AdaptiveBatchSize({ targetBatchMs: 100, initial: 2, tolerance: 0.05 })
    const sizes: number[] = []
    await batches(
      range(100),
      (items) => {
        sizes.push(items.length)
        now += items.length * 10 // 10 ms per item: 10 items hit the target
      },
      { size, clock: { now: () => now } },
    )
    expect(sizes.slice(0, 6)).toEqual([2, 4, 8, 10, 10, 10])
  })

  it('batches() shrinks an AdaptiveBatchSize when a batch fails', async () => {
    const size = new AdaptiveBatchSize({ targetBatchMs: 100, initial: 8 })
    const sizes: number[] = []
    await batches(
      range(20),
      (items) => {
        sizes.push(items.length)
        if (sizes.length === 1) throw new Error('timeout')
      },
      { size, continueOnError: true, clock: { now: () => 0 } },
    )
    expect(sizes.slice(0, 2)).toEqual([8, 4])
  })

  it("batches() rejects with the source's own error when iterating it throws", async () => {
    function* broken(): Generator<number> {
      yield 1
      throw new Error('disk read failed')
    }
    const error = await rejection(batches(broken(), () => undefined, { size: 5 }))
    expect((error as Error).message).toBe('disk read failed')
  })

  it('batches() validates its arguments and options', async () => {
    const cases: Array<[string, string, () => Promise<unknown>]> = [
      ['INVALID_ARGUMENT', 'source', () => batches(42 as never, () => undefined, { size: 1 })],
      ['INVALID_ARGUMENT', 'fn', () => batches([], 'fn' as never, { size: 1 })],
      ['INVALID_OPTION', 'size', () => batches([], () => undefined, { size: 0 })],
      ['INVALID_OPTION', 'size', () => batches([], () => undefined, {} as never)],
      ['INVALID_OPTION', 'concurrency', () => batches([], () => undefined, { size: 1, concurrency: 0 })],
      ['INVALID_OPTION', 'total', () => batches([], () => undefined, { size: 1, total: -1 })],
      ['INVALID_OPTION', 'onProgress', () => batches([], () => undefined, { size: 1, onProgress: 1 as never })],
      ['INVALID_OPTION', 'signal', () => batches([], () => undefined, { size: 1, signal: {} as never })],
      [
        'INVALID_OPTION',
        'continueOnError',
        () => batches([], () => undefined, { size: 1, continueOnError: 'yes' as never }),
      ],
      ['INVALID_OPTION', 'maxFailedBatches', () => batches([], () => undefined, { size: 1, maxFailedBatches: -1 })],
      ['INVALID_OPTION', 'maxAttempts', () => batches([], () => undefined, { size: 1, retry: { maxAttempts: 0 } })],
    ]
    for (const [code, name, run] of cases) {
      const error = (await rejection(run())) as PerfError
      expect(isPerfError(error, code as 'INVALID_OPTION'), `${code} ${name}`).toBe(true)
      expect(error.context.option ?? error.context.argument).toBe(name)
    }
  })
})

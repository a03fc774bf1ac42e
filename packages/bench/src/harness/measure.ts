import { performance } from 'node:perf_hooks'
import { median, quantileSorted, relativeMad } from './stats.js'

/**
 * One contender in a comparison. The operation loop lives in the case (`run(n)`), not in the
 * harness: a loop shared by all cases would see every case's function at one call site, go
 * megamorphic and tax the fastest contenders most.
 */
export interface BenchCase {
  name: string
  /** Runs `n` operations (or `n` units of `opsPerCall` operations). */
  run(n: number): void | Promise<void>
  /** One operation, timed on its own for latency percentiles; omit when latency is not meaningful. */
  once?(): unknown
  /** Operations one unit of `run` performs (1000 loads per tick, for instance). @default 1 */
  opsPerCall?: number
}

/** How long and how often to measure. */
export interface MeasureOptions {
  /** Measured rounds per case; the median is reported. */
  rounds: number
  /** Unmeasured rounds per case before the first measured one (JIT warm-up). */
  warmupRounds: number
  /** Length of one round in milliseconds. */
  roundMs: number
  /** Operations timed one by one for latency percentiles (cases with `once`). */
  latencySamples: number
}

/** The outcome of one case. */
export interface CaseResult {
  name: string
  /** Median over rounds of operations per second. */
  opsPerSec: number
  /** 1e9 / opsPerSec. */
  nsPerOp: number
  /** Median absolute deviation of the rounds, relative to the median. */
  spread: number
  /** Operations per second of every measured round, in order. */
  rounds: number[]
  /** Latency percentiles of single operations, in ns (timer overhead included), when measured. */
  p50Ns?: number
  p99Ns?: number
}

/**
 * Median over rounds of `a.rounds[r] / b.rounds[r]`. Rounds with the same index ran back to back,
 * so this ratio cancels load that came and went during the run better than a ratio of medians.
 */
export function pairedRatio(a: CaseResult, b: CaseResult): number {
  const n = Math.min(a.rounds.length, b.rounds.length)
  const ratios: number[] = []
  for (let r = 0; r < n; r++) ratios.push((a.rounds[r] as number) / (b.rounds[r] as number))
  return median(ratios)
}

/** Runs the garbage collector when node was started with --expose-gc. */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc) gc()
}

async function timeRun(c: BenchCase, n: number): Promise<number> {
  const start = performance.now()
  const pending = c.run(n)
  if (pending !== undefined) await pending
  return performance.now() - start
}

/** Finds how many units of `run` take about `targetMs`, so a round is not dominated by timer reads. */
async function calibrate(c: BenchCase, targetMs: number): Promise<number> {
  let n = 1
  for (;;) {
    const ms = await timeRun(c, n)
    if (ms >= targetMs || n >= 2 ** 30) return n
    n = ms < targetMs / 16 ? n * 8 : Math.ceil((n * targetMs) / Math.max(ms, 0.01))
  }
}

/** One round: run chunks of `n` until `roundMs` elapsed; returns operations per second. */
async function round(c: BenchCase, n: number, roundMs: number): Promise<number> {
  collectGarbage()
  let units = 0
  const start = performance.now()
  let elapsed = 0
  do {
    const pending = c.run(n)
    if (pending !== undefined) await pending
    units += n
    elapsed = performance.now() - start
  } while (elapsed < roundMs)
  return (units * (c.opsPerCall ?? 1) * 1000) / elapsed
}

/** Times `samples` single operations; returns [p50, p99] in ns. */
async function latency(c: BenchCase & { once(): unknown }, samples: number): Promise<[number, number]> {
  collectGarbage()
  const times = new Float64Array(samples)
  for (let i = 0; i < samples; i++) {
    const start = process.hrtime.bigint()
    const pending = c.once() as PromiseLike<unknown> | undefined
    if (pending !== undefined && typeof pending?.then === 'function') await pending
    times[i] = Number(process.hrtime.bigint() - start)
  }
  times.sort()
  return [quantileSorted(times, 50), quantileSorted(times, 99)]
}

/**
 * Measures cases side by side. Rounds are interleaved (A B C, A B C, ...) so that a burst of
 * load from other processes lands on every case alike instead of on whichever ran during it; the
 * garbage collector runs before every round so one case's garbage is not collected on another's
 * time. Reports the median round.
 */
export async function measureCases(cases: readonly BenchCase[], options: MeasureOptions): Promise<CaseResult[]> {
  const chunkMs = Math.max(2, Math.min(20, options.roundMs / 10))
  const sizes: number[] = []
  for (const c of cases) {
    sizes.push(await calibrate(c, chunkMs))
    for (let w = 0; w < options.warmupRounds; w++) await round(c, sizes.at(-1) as number, options.roundMs)
  }
  const perRound = cases.map(() => [] as number[])
  for (let r = 0; r < options.rounds; r++) {
    for (let i = 0; i < cases.length; i++) {
      perRound[i]?.push(await round(cases[i] as BenchCase, sizes[i] as number, options.roundMs))
    }
  }
  const results: CaseResult[] = []
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i] as BenchCase
    const rounds = perRound[i] as number[]
    const opsPerSec = median(rounds)
    const result: CaseResult = {
      name: c.name,
      opsPerSec,
      nsPerOp: 1e9 / opsPerSec,
      spread: relativeMad(rounds),
      rounds,
    }
    if (c.once && options.latencySamples > 0) {
      const [p50, p99] = await latency(c as BenchCase & { once(): unknown }, options.latencySamples)
      result.p50Ns = p50
      result.p99Ns = p99
    }
    results.push(result)
  }
  return results
}

/** Cost of reading the timer twice around nothing, in ns: the floor under every latency figure. */
export function timerOverheadNs(): number {
  const times = new Float64Array(10_000)
  for (let i = 0; i < times.length; i++) {
    const start = process.hrtime.bigint()
    times[i] = Number(process.hrtime.bigint() - start)
  }
  times.sort()
  return quantileSorted(times, 50)
}

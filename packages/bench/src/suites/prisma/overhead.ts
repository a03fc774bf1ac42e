import { collectGarbage } from '../../harness/measure.js'
import { formatNs, formatPct } from '../../harness/format.js'
import { median, seededRandom } from '../../harness/stats.js'
import type { SuiteContext } from '../../harness/suite.js'

/** One call of a contender on row `id`. */
export type Call = (id: number) => Promise<void>

/** The outcome of {@link pairedOverhead}: B against A, call by call. */
export interface PairedOverhead {
  /** Mean of B − A over the pairs, ns. */
  meanDiffNs: number
  /** Half-width of the 95 % confidence interval of that mean, ns. */
  ci95Ns: number
  /** Median of B − A over the pairs, ns. */
  medianDiffNs: number
  /** Mean duration of A, ns. */
  meanANs: number
  /** meanDiffNs / meanANs. */
  share: number
  pairs: number
}

/**
 * Times `a` and `b` call by call, alternating which goes first, on the same random row for both
 * calls of a pair, and returns the statistics of the per-pair differences. Per-call pairing cancels
 * the database's and the machine's drift far better than separate loops can: at ~500 µs per call
 * the round-based tables have a noise floor of several percent, this one of well under one.
 */
export async function pairedOverhead(
  a: Call,
  b: Call,
  pairs: number,
  rows: number,
  seed: number,
): Promise<PairedOverhead> {
  const random = seededRandom(seed)
  const diffs = new Float64Array(pairs)
  let sumA = 0
  collectGarbage()
  for (let i = 0; i < pairs; i++) {
    const id = 1 + Math.floor(random() * rows)
    const first = i % 2 === 0 ? a : b
    const second = i % 2 === 0 ? b : a
    const t0 = process.hrtime.bigint()
    await first(id)
    const t1 = process.hrtime.bigint()
    await second(id)
    const t2 = process.hrtime.bigint()
    const [ta, tb] = i % 2 === 0 ? [t1 - t0, t2 - t1] : [t2 - t1, t1 - t0]
    diffs[i] = Number(tb - ta)
    sumA += Number(ta)
  }
  let sum = 0
  for (const d of diffs) sum += d
  const mean = sum / pairs
  let squares = 0
  for (const d of diffs) squares += (d - mean) ** 2
  const sd = Math.sqrt(squares / (pairs - 1))
  const meanA = sumA / pairs
  return {
    meanDiffNs: mean,
    ci95Ns: (1.96 * sd) / Math.sqrt(pairs),
    medianDiffNs: median([...diffs]),
    meanANs: meanA,
    share: mean / meanA,
    pairs,
  }
}

/** Adds the table of paired overheads; `results` maps a row name to its outcome against the plain call. */
export function overheadTable(
  ctx: SuiteContext,
  results: ReadonlyArray<readonly [string, PairedOverhead]>,
  baseline: string,
): void {
  const signed = (ns: number) => (ns < 0 ? '−' : '+') + formatNs(Math.abs(ns))
  ctx.table({
    title: `Overhead on uncached reads, measured call by call against ${baseline}`,
    headers: [
      'client',
      'mean extra per call',
      '95 % CI',
      'median extra per call',
      `share of the plain call (mean ${formatNs(results[0]?.[1].meanANs)})`,
    ],
    rows: results.map(([name, r]) => [
      name,
      signed(r.meanDiffNs),
      `± ${formatNs(r.ci95Ns)}`,
      signed(r.medianDiffNs),
      formatPct(r.share, 2),
    ]),
    note: `${results[0]?.[1].pairs.toLocaleString('en-US')} pairs per row: the plain call and the row's call on the same random row, back to back, alternating which goes first; the statistics are of the per-pair differences. The A/A row pairs the plain call with itself, so its distance from zero is what this method cannot resolve.`,
  })
}

import { formatRatio } from './format.js'
import type { SuiteContext } from './suite.js'

/** The "Method:" line of a suite measured with {@link interleaved}. */
export const INTERLEAVED_METHOD =
  'every case runs once per round, after one warm-up round; each round starts one case later (a, b, c; b, c, a; …); setup between runs (truncate, new values) is not timed; figures are medians of the timed runs'

/** The median of `xs` (the upper one for an even count). */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/**
 * Runs every case once per round, interleaved, so a machine that gets busier during the run slows
 * all of them alike; reports the median time of each. Each round starts one case later
 * (a, b, c; b, c, a; c, a, b; …): no case always follows the same one, whose after-effects
 * (dead tuples, a checkpoint, a cold cache) it would otherwise always pay.
 */
export async function interleaved(
  ctx: SuiteContext,
  rounds: number,
  cases: Array<{ name: string; prepare?: () => Promise<void>; run: () => Promise<void> }>,
): Promise<Map<string, number>> {
  const times = new Map(cases.map((c) => [c.name, [] as number[]]))
  for (let r = 0; r < rounds + 1; r++) {
    const shift = r % cases.length
    for (const c of [...cases.slice(shift), ...cases.slice(0, shift)]) {
      await c.prepare?.()
      const t = performance.now()
      await c.run()
      const ms = performance.now() - t
      if (r > 0) times.get(c.name)!.push(ms) // round 0 warms up
    }
    ctx.log(
      `round ${r}: ${cases.map((c) => `${c.name} ${times.get(c.name)!.at(-1)?.toFixed(0) ?? 'warm-up'}`).join(', ')}`,
    )
  }
  return new Map([...times].map(([k, v]) => [k, median(v)]))
}

export function speedTable(
  ctx: SuiteContext,
  title: string,
  rows: number,
  results: Map<string, number>,
  baseline: string,
  note: string,
): void {
  const base = results.get(baseline)!
  ctx.table({
    title,
    headers: ['case', 'median ms', 'rows/s', `vs ${baseline}`],
    rows: [...results].map(([name, ms]) => [
      name,
      ms.toFixed(1),
      Math.round((rows / ms) * 1000).toLocaleString('en-US'),
      formatRatio(base / ms),
    ]),
    note,
  })
}

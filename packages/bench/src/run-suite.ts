/**
 * Child-process entry: runs ONE suite and sends its report to the runner over IPC. Each suite
 * gets a fresh process so that one suite's heap, timers and JIT state cannot colour the next.
 */
import { loadAverage, startCpuProbe } from './harness/env.js'
import type { MeasureOptions } from './harness/measure.js'
import { SuiteContext } from './harness/suite.js'
import { loadSuite } from './suites/index.js'

interface ChildArgs {
  quick: boolean
  measure: MeasureOptions
}

async function main(): Promise<void> {
  const [name, json] = process.argv.slice(2)
  if (!name || !json || !process.send)
    throw new Error('[bench] run-suite.ts is started by run.ts (needs a suite, options and an IPC channel)')
  const args = JSON.parse(json) as ChildArgs
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function') throw new Error('[bench] run node with --expose-gc')
  const suite = await loadSuite(name)
  // tsx turns on source-map support for the whole process; production runs of the built packages
  // usually do not, and it makes every captured stack trace (N+1 call sites, errors) far dearer.
  process.setSourceMapsEnabled(false)
  const ctx = new SuiteContext(suite, args.quick, args.measure)
  const startLoad = loadAverage()
  const cpu = startCpuProbe()
  await suite.run(ctx)
  const report = ctx.report(startLoad, cpu())
  await new Promise<void>((resolve, reject) =>
    process.send?.(report, (err: Error | null) => (err ? reject(err) : resolve())),
  )
}

main().then(
  // Libraries under test may leave timers behind (opossum's rolling stats, bentocache's cleaners).
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)

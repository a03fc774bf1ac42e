import { circuitBreaker, ConsecutiveBreaker, handleAll, SamplingBreaker } from 'cockatiel'
import Opossum from 'opossum'
import { requireCore } from '../core.js'
import { formatNs } from '../harness/format.js'
import type { Suite } from '../harness/suite.js'

/** The protected call: an async function that resolves at once (the breaker's own cost shows). */
async function call(): Promise<number> {
  return 1
}

/** Issue 3: CircuitBreaker pass-through overhead in the closed state vs cockatiel and opossum. */
const suite: Suite = {
  name: 'breaker',
  title: 'CircuitBreaker pass-through overhead vs cockatiel and opossum (issue 3)',
  libraries: ['@perf/core', 'cockatiel', 'opossum'],
  async run(ctx) {
    const core = await requireCore(ctx, ['CircuitBreaker'])
    if (!core) return
    const ours = new core.CircuitBreaker()
    const oursRatio = new core.CircuitBreaker({
      policy: { kind: 'ratio', threshold: 0.5, minimumCalls: 20, windowMs: 10_000 },
    })
    const cockatiel = circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) })
    const cockatielSampling = circuitBreaker(handleAll, {
      halfOpenAfter: 10_000,
      breaker: new SamplingBreaker({ threshold: 0.5, duration: 10_000 }),
    })
    const opossum = new Opossum(call)
    const opossumNoTimeout = new Opossum(call, { timeout: false })
    const results = await ctx.compare(
      'CircuitBreaker — closed state, async function that resolves at once',
      [
        {
          name: 'direct call',
          async run(n) {
            for (let i = 0; i < n; i++) await call()
          },
          once: () => call(),
        },
        {
          name: '@perf CircuitBreaker (consecutive 5)',
          async run(n) {
            for (let i = 0; i < n; i++) await ours.execute(call)
          },
          once: () => ours.execute(call),
        },
        {
          name: '@perf CircuitBreaker (ratio 50 % / 10 s)',
          async run(n) {
            for (let i = 0; i < n; i++) await oursRatio.execute(call)
          },
          once: () => oursRatio.execute(call),
        },
        {
          name: 'cockatiel (ConsecutiveBreaker 5)',
          async run(n) {
            for (let i = 0; i < n; i++) await cockatiel.execute(call)
          },
          once: () => cockatiel.execute(call),
        },
        {
          name: 'cockatiel (SamplingBreaker 50 % / 10 s)',
          async run(n) {
            for (let i = 0; i < n; i++) await cockatielSampling.execute(call)
          },
          once: () => cockatielSampling.execute(call),
        },
        {
          name: 'opossum (defaults: 10 s timeout)',
          async run(n) {
            for (let i = 0; i < n; i++) await opossum.fire()
          },
          once: () => opossum.fire(),
        },
        {
          name: 'opossum (timeout: false)',
          async run(n) {
            for (let i = 0; i < n; i++) await opossumNoTimeout.fire()
          },
          once: () => opossumNoTimeout.fire(),
        },
      ],
      {
        baseline: 'direct call',
        note: "Each call awaits the breaker's promise. opossum arms a timer per call unless `timeout: false`; @perf CircuitBreaker has no built-in timeout (compose `withTimeout`), cockatiel neither (its `timeout` policy is separate).",
      },
    )
    const direct = results.get('direct call')?.nsPerOp ?? 0
    ctx.table({
      title: 'Overhead per call (ns/op minus the direct call)',
      headers: ['breaker', 'overhead per call'],
      rows: [...results.values()]
        .filter((r) => r.name !== 'direct call')
        .map((r) => [r.name, formatNs(r.nsPerOp - direct)]),
    })
    opossum.shutdown()
    opossumNoTimeout.shutdown()
  },
}

export default suite

import type { Redis } from 'ioredis'
import { formatNs } from '../../harness/format.js'
import type { BenchCase } from '../../harness/measure.js'
import type { SuiteContext } from '../../harness/suite.js'

/** CPU seconds the Redis server process has used (user + system, all its threads), from INFO cpu. */
export async function serverCpuSeconds(admin: Redis): Promise<number> {
  const text = await admin.info('cpu')
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(text)?.[1] ?? Number.NaN)
  return field('used_cpu_user') + field('used_cpu_sys')
}

/** CPU per operation of one case: this process (client) and the Redis server, in ns. */
export interface CpuPerOp {
  clientNs: number
  serverNs: number
}

/**
 * Runs about `ops` operations of `c` and divides the CPU time this process and the Redis server
 * used by the operations done. On a 2-core machine shared by both, client + server CPU per
 * operation bounds the throughput, so this says which side a slow contender spends its time on.
 */
export async function cpuPerOp(admin: Redis, c: BenchCase, ops: number): Promise<CpuPerOp> {
  const perCall = c.opsPerCall ?? 1
  const units = Math.max(1, Math.ceil(ops / perCall))
  const server0 = await serverCpuSeconds(admin)
  const client0 = process.cpuUsage()
  await c.run(units)
  const client = process.cpuUsage(client0)
  const server1 = await serverCpuSeconds(admin)
  const done = units * perCall
  return { clientNs: ((client.user + client.system) * 1000) / done, serverNs: ((server1 - server0) * 1e9) / done }
}

/** Adds a table of client and server CPU per operation for `cases`, each run for about `ops` operations (twice; the lower is kept). */
export async function cpuTable(
  ctx: SuiteContext,
  admin: Redis,
  title: string,
  cases: readonly BenchCase[],
  ops: number,
  note: string,
): Promise<Map<string, CpuPerOp>> {
  const out = new Map<string, CpuPerOp>()
  for (const c of cases) {
    // Two passes, keeping the lower of each: a burst from another process only ever adds CPU.
    const a = await cpuPerOp(admin, c, ops)
    const b = await cpuPerOp(admin, c, ops)
    out.set(c.name, { clientNs: Math.min(a.clientNs, b.clientNs), serverNs: Math.min(a.serverNs, b.serverNs) })
  }
  ctx.table({
    title,
    headers: ['case', 'client CPU per op', 'Redis server CPU per op', 'sum'],
    rows: [...out].map(([name, r]) => [
      name,
      formatNs(r.clientNs),
      formatNs(r.serverNs),
      formatNs(r.clientNs + r.serverNs),
    ]),
    note,
  })
  return out
}

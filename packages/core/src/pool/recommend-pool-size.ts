import { availableParallelism } from 'node:os'
import { PerfError } from '../errors.js'
import { assertInt } from '../util/validate.js'

/** What {@link recommendPoolSize} knows about the deployment. */
export interface PoolSizeInput {
  /** Physical cores of the DATABASE server (not hyper-threads). @default this machine's `os.availableParallelism()`, noted in the reasoning */
  cores?: number
  /** Disks the database effectively waits on: 0 when the working set fits in memory, more as I/O waits grow. @default 1 */
  effectiveSpindles?: number
  /** Application instances (processes, pods) sharing the database, each with its own pool. @default 1 */
  instances?: number
  /** The server's connection limit (PostgreSQL `max_connections`). Without it no cap is applied. */
  serverMaxConnections?: number
  /** Connections kept free for admins, migrations and other clients. @default 3 (PostgreSQL's superuser_reserved_connections) */
  reservedConnections?: number
  /** Peak concurrent queries one instance was seen to need (e.g. PoolMonitor's peakActive + peakWaiting). */
  observedPeakConcurrency?: number
}

/** A pool size and the steps that led to it. */
export interface PoolSizeRecommendation {
  /** The `max` to configure on each instance's pool; same as `perInstance`. */
  size: number
  perInstance: number
  /** `perInstance × instances`: connections the whole deployment may open. */
  total: number
  /** One line per step, with its numbers. */
  reasoning: string[]
}

/**
 * Recommends a connection-pool size, following the reasoning HikariCP's pool-sizing guide made
 * popular: a database only runs as many queries truly at once as it has cores, plus some that are
 * parked waiting on disk, so the useful number of connections for the WHOLE server is about
 * `cores × 2 + effectiveSpindles`; more connections only add queueing and context switches inside
 * the database. That budget is split across instances, raised toward the concurrency actually
 * observed (if given), never above what `max_connections` minus reserved connections allows per
 * instance, and never below 1.
 *
 * @example
 * recommendPoolSize({ cores: 8, instances: 4, serverMaxConnections: 100, observedPeakConcurrency: 6 })
 * // { size: 6, perInstance: 6, total: 24, reasoning: [...] }
 * @throws PerfError INVALID_OPTION naming the field when an input is not a valid integer
 */
export function recommendPoolSize(input: PoolSizeInput = {}): PoolSizeRecommendation {
  if (typeof input !== 'object' || input === null) {
    throw new PerfError('INVALID_OPTION', '[perf:pool] recommendPoolSize() needs an input object', {
      context: { option: 'input' },
    })
  }
  const reasoning: string[] = []
  const coresGiven = input.cores !== undefined
  const cores = assertInt(input.cores ?? availableParallelism(), 'cores', 1)
  const spindles = assertInt(input.effectiveSpindles ?? 1, 'effectiveSpindles', 0)
  const instances = assertInt(input.instances ?? 1, 'instances', 1)
  const serverMax =
    input.serverMaxConnections === undefined
      ? undefined
      : assertInt(input.serverMaxConnections, 'serverMaxConnections', 1)
  const reserved = assertInt(input.reservedConnections ?? 3, 'reservedConnections', 0)
  const observed =
    input.observedPeakConcurrency === undefined
      ? undefined
      : assertInt(input.observedPeakConcurrency, 'observedPeakConcurrency', 0)
  if (serverMax !== undefined && reserved >= serverMax) {
    throw new PerfError(
      'INVALID_OPTION',
      `[perf:pool] option "reservedConnections" (${reserved}) must be below serverMaxConnections (${serverMax})`,
      {
        context: { option: 'reservedConnections', value: reserved, serverMaxConnections: serverMax },
      },
    )
  }

  const base = cores * 2 + spindles
  if (!coresGiven)
    reasoning.push(
      `cores not given: assumed the database has ${cores} cores like this machine (pass cores for the database server)`,
    )
  reasoning.push(
    `base: ${cores} cores × 2 + ${spindles} effective spindle(s) = ${base} connections the database can keep busy at once`,
  )

  let size = Math.ceil(base / instances)
  if (instances > 1)
    reasoning.push(`split across ${instances} instances: ceil(${base} / ${instances}) = ${size} per instance`)

  if (observed !== undefined) {
    if (observed > size) {
      reasoning.push(
        `observed peak concurrency ${observed} exceeds ${size}: raised to ${observed} so requests do not queue for a connection`,
      )
      size = observed
    } else {
      reasoning.push(`observed peak concurrency ${observed} fits within ${size}: kept ${size}`)
    }
  }

  if (serverMax !== undefined) {
    const cap = Math.floor((serverMax - reserved) / instances)
    if (size > cap) {
      reasoning.push(
        `capped by the server: floor((${serverMax} max_connections − ${reserved} reserved) / ${instances} instances) = ${cap}`,
      )
      size = cap
    } else {
      reasoning.push(
        `within the server limit: ${size} × ${instances} = ${size * instances} ≤ ${serverMax} − ${reserved} reserved`,
      )
    }
  } else {
    reasoning.push('serverMaxConnections not given: no server cap applied')
  }

  if (size < 1) {
    size = 1
    reasoning.push(
      `raised to the minimum of 1; ${instances} instances × 1 exceeds the ${serverMax! - reserved} connections available: use a pooler (PgBouncer) or fewer instances`,
    )
  }
  return { size, perInstance: size, total: size * instances, reasoning }
}

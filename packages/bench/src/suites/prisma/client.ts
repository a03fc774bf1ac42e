import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { BENCH_DIR } from '../../harness/env.js'

const HERE = dirname(fileURLToPath(import.meta.url))
const SCHEMA = join(HERE, 'schema.prisma')
const GENERATED = join(HERE, 'generated')
const STAMP = join(GENERATED, '.schema-sha256')
/** The one place the monorepo keeps its offline `prisma generate` workaround (schema-engine stub). */
const GENERATE_SCRIPT = join(BENCH_DIR, '..', 'prisma', 'scripts', 'prisma-generate.mjs')

/** A row of the benchmark table, as Prisma returns it. */
export interface AccountRow {
  id: number
  email: string
  name: string
  active: boolean
  score: number
  role: string
  createdAt: Date
}

/** Accelerate-style per-call caching accepted by perf()-extended clients. */
export interface CacheStrategyLike {
  ttl?: number | string
  swr?: number | string
  tags?: readonly string[]
}

/** The parts of a generated client the suite uses, typed structurally (the client is generated at run time). */
export interface AccountDelegate {
  findUnique(args: { where: { id: number }; cacheStrategy?: CacheStrategyLike }): PromiseLike<AccountRow | null>
}

export interface PrismaLike {
  account: AccountDelegate
  $extends(extension: unknown): PrismaLike
  $disconnect(): Promise<void>
  $perf?: { close(): Promise<void>; stats(): { operations: { cacheHits: number; cacheMisses: number } } }
}

export type PrismaClientClass = new (options: { adapter: unknown }) => PrismaLike

/**
 * Generates the suite's Prisma client into ./generated when it is missing or the schema changed
 * (about a second, offline: packages/prisma/scripts/prisma-generate.mjs), then loads it.
 * @throws Error with prisma's output when generation fails
 */
export async function loadPrismaClient(log: (message: string) => void): Promise<PrismaClientClass> {
  const sha = createHash('sha256').update(readFileSync(SCHEMA)).digest('hex')
  const fresh = existsSync(join(GENERATED, 'client.ts')) && existsSync(STAMP) && readFileSync(STAMP, 'utf8') === sha
  if (!fresh) {
    log('generating the Prisma client for suites/prisma/schema.prisma')
    const result = spawnSync(process.execPath, [GENERATE_SCRIPT, SCHEMA], { cwd: BENCH_DIR, encoding: 'utf8' })
    if (result.status !== 0)
      throw new Error(`prisma generate failed (exit ${result.status}): ${(result.stderr || result.stdout).trim()}`)
    writeFileSync(STAMP, sha)
  }
  const mod = (await import(pathToFileURL(join(GENERATED, 'client.ts')).href)) as { PrismaClient: PrismaClientClass }
  return mod.PrismaClient
}

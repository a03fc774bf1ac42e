#!/usr/bin/env node
/**
 * Runs `prisma generate` for one or more schemas, offline.
 *
 * Usage (from any workspace package that depends on `prisma`):
 *   node ../../packages/prisma/scripts/prisma-generate.mjs prisma/schema.prisma [more.prisma ...]
 *
 * Why this script exists: `prisma generate` (Prisma 7) resolves a schema-engine binary before it
 * generates, and downloads it from binaries.prisma.sh when it is missing. Generating a client
 * never runs that engine (it is only used by `migrate`/`db push`), so machines without access
 * to binaries.prisma.sh (CI sandboxes, air-gapped hosts) fail for no reason. Pointing
 * PRISMA_SCHEMA_ENGINE_BINARY at an executable stub skips the download; generation itself is
 * done by the WASM schema builder shipped in the `prisma` npm package. If the user already set
 * PRISMA_SCHEMA_ENGINE_BINARY we keep theirs. This is the ONE place the workaround lives: the
 * @perf/prisma tests, the demo and the quickstart all call this script.
 *
 * Test tables are created with plain SQL (never `prisma migrate`), so the stub is never run.
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const schemas = process.argv.slice(2)
if (schemas.length === 0) {
  console.error('[perf:prisma-generate] usage: prisma-generate.mjs <schema.prisma> [...]')
  process.exit(2)
}

/** Finds the `prisma` CLI: the calling package's own first, then the one next to this script. */
function resolveCli() {
  const bases = [join(process.cwd(), 'package.json'), fileURLToPath(import.meta.url)]
  for (const base of bases) {
    try {
      return createRequire(base).resolve('prisma/build/index.js')
    } catch {
      // not installed from this base; try the next one
    }
  }
  throw new Error('[perf:prisma-generate] the `prisma` CLI is not installed (add it to devDependencies)')
}

const cli = resolveCli()
const stubDir = mkdtempSync(join(tmpdir(), 'perf-prisma-engine-'))
try {
  const env = { ...process.env, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' }
  if (!env.PRISMA_SCHEMA_ENGINE_BINARY) {
    const stub = join(stubDir, 'schema-engine')
    // Exits at once: generate only checks that the binary exists; it never needs its output.
    writeFileSync(stub, '#!/bin/sh\nexit 0\n')
    chmodSync(stub, 0o755)
    env.PRISMA_SCHEMA_ENGINE_BINARY = stub
  }
  for (const schema of schemas) {
    const path = resolve(schema)
    if (!existsSync(path)) throw new Error(`[perf:prisma-generate] schema not found: ${path}`)
    const run = spawnSync(process.execPath, [cli, 'generate', '--schema', path], { env, encoding: 'utf8' })
    if (run.status !== 0) {
      process.stderr.write(run.stdout + run.stderr)
      throw new Error(`[perf:prisma-generate] prisma generate failed for ${path} (exit ${run.status})`)
    }
    const line = run.stdout.split('\n').find((l) => l.includes('Generated Prisma Client'))
    console.log(`[perf:prisma-generate] ${line ? line.replace(/^\W+/, '') : 'generated'} (${schema})`)
  }
} catch (err) {
  console.error(err instanceof Error ? err.message : err)
  process.exitCode = 1
} finally {
  rmSync(stubDir, { recursive: true, force: true })
}

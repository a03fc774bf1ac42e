import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const hook = fileURLToPath(new URL('./fixtures/hide-pg.cjs', import.meta.url))
const dist = (file: string) => fileURLToPath(new URL(`../dist/${file}`, import.meta.url))

/** Runs `code` in a fresh Node with `pg` unresolvable; its stdout and status. */
function withoutPg(code: string, esm: boolean): { status: number | null; out: string } {
  const args = ['--require', hook, ...(esm ? ['--input-type=module'] : []), '-e', code]
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000 })
  return { status: result.status, out: `${result.stdout}${result.stderr}` }
}

// @perf/typeorm depends on @perf/pg for bulk writes; an app on MySQL has no `pg` to load.
describe('@perf/typeorm without pg installed', () => {
  it('the hook really hides pg (control)', () => {
    const result = withoutPg(`require('pg')`, false)
    expect(result.status).not.toBe(0)
    expect(result.out).toContain("Cannot find module 'pg' (hidden by the test)")
  })

  it('loads from its CommonJS and ESM builds, bulk-write errors included', () => {
    const cjs = withoutPg(
      `const t = require(${JSON.stringify(dist('index.cjs'))}); console.log(typeof t.instrument, typeof t.BulkWriteError)`,
      false,
    )
    expect(cjs).toEqual({ status: 0, out: 'function function\n' })
    const esm = withoutPg(
      `const t = await import(${JSON.stringify(dist('index.mjs'))}); console.log(typeof t.instrument, typeof t.bulkWriter)`,
      true,
    )
    expect(esm).toEqual({ status: 0, out: 'function function\n' })
  })
})

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { execFile } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../src/cli/main.js'
import { freshDatabase, privatePostgres } from './setup/database.js'

const url = await privatePostgres()

function io(env: Record<string, string | undefined> = {}) {
  const out: string[] = []
  const err: string[] = []
  return { out, err, io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), env } }
}

describe('perf-pg CLI arguments', () => {
  it('runCli() prints usage and exits 2 on bad arguments, 0 on --help', async () => {
    const a = io()
    expect(await runCli([], a.io)).toBe(2)
    expect(a.err.join('')).toContain('Usage: perf-pg report')
    const b = io()
    expect(await runCli(['--help'], b.io)).toBe(0)
    const c = io()
    expect(await runCli(['report', 'postgresql://x@127.0.0.1:1/x', '--fail-on', 'severe'], c.io)).toBe(2)
    const d = io()
    expect(await runCli(['report'], d.io)).toBe(2)
    expect(d.err.join('')).toContain('no database')
  })
})

describe.skipIf(!url)('perf-pg report', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>
  let dir: string
  beforeAll(async () => {
    db = await freshDatabase(url!)
    dir = mkdtempSync(join(tmpdir(), 'perf-pg-cli-'))
    await db.pool.query(`
      CREATE EXTENSION pg_stat_statements;
      CREATE TABLE customers (id int PRIMARY KEY, name text);
      CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers, status text, total int);
      INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 2000) g;
      INSERT INTO orders SELECT g, 1 + g % 2000, (ARRAY['open','paid'])[1 + g % 2], g % 100 FROM generate_series(1, 60000) g;
      ANALYZE customers; ANALYZE orders;`)
    for (let i = 0; i < 20; i++)
      await db.pool.query('SELECT * FROM orders WHERE customer_id = $1 AND total > $2', [i + 1, 5])
  })
  afterAll(async () => {
    await db?.drop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('report prints findings, top statements, index advice and connections; --fail-on gates the exit code', async () => {
    const a = io({ DATABASE_URL: db.url })
    const html = join(dir, 'report.html')
    expect(await runCli(['report', '--html', html, '--fail-on', 'critical'], a.io)).toBe(0)
    const text = a.out.join('')
    expect(text).toMatch(/^@perf\/pg report: perf_pg_\w+ \(PostgreSQL 150\d+\)/)
    expect(text).toMatch(/health \d+\/100/)
    expect(text).toContain('SELECT * FROM orders WHERE customer_id = $1 AND total > $2')
    // the foreign key orders.customer_id has no index, and the top statement wants one
    expect(text).toContain('CREATE INDEX CONCURRENTLY ON "public"."orders" ("customer_id"')
    expect(text).toMatch(/Connections\n {2}\d+ used of 60/)
    const page = readFileSync(html, 'utf8')
    expect(page).toMatch(/^<!doctype html>/)
    expect(page).toContain('<svg')
    expect(page).not.toMatch(/https?:\/\//) // self-contained: nothing to fetch
    const b = io()
    expect(await runCli(['report', db.url, '--json', '--fail-on', 'warning'], b.io)).toBe(1)
    const json = JSON.parse(b.out.join(''))
    expect(json.findings.map((f: { kind: string }) => f.kind)).toEqual(
      expect.arrayContaining(['missing-fk-index', 'index-advice']),
    )
    expect(json.snapshot.topStatements.length).toBeGreaterThan(0)
  })

  it('the built bin runs (dist/cli.mjs), when the package has been built', async () => {
    const bin = join(import.meta.dirname, '..', 'dist', 'cli.mjs')
    if (!existsSync(bin)) return
    const { stdout } = await promisify(execFile)(process.execPath, [bin, 'report', db.url, '--advise-top', '0'])
    expect(stdout).toContain('@perf/pg report:')
  })
})

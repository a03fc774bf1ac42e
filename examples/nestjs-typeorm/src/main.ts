/**
 * Starts the app on PORT (default 3000) against DATABASE_URL in the schema `perf_nest_example`.
 * With --smoke it requests each route once, prints what @perf saw, and exits.
 */
import pg from 'pg'
import { createApp } from './app.js'

const databaseUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test'
const schema = 'perf_nest_example'
const smoke = process.argv.includes('--smoke')

const admin = new pg.Client({ connectionString: databaseUrl })
await admin.connect()
await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`)
await admin.end()

const { app, monitor, cache } = await createApp({
  databaseUrl,
  schema,
  onReport: (r) => console.log(`${r.name}: ${r.statements} statement(s), ${r.dbMs.toFixed(1)} ms in the database`),
})
await app.listen(Number(process.env.PORT ?? (smoke ? 0 : 3000)), '127.0.0.1')
const url = await app.getUrl()
console.log(`listening on ${url} — try ${url}/projects, ${url}/projects/1 and ${url}/health`)

if (smoke) {
  for (const path of ['/projects', '/projects/1', '/projects/1', '/health']) {
    const res = await fetch(`${url}${path}`)
    await res.text()
    console.log(`${res.status} ${path}  Server-Timing: ${res.headers.get('server-timing')}`)
  }
  for (const f of monitor.nPlusOne()) console.log(`N+1 in ${f.scope}: ${f.count}× ${f.fingerprint.slice(0, 80)}`)
  await app.close()
  await cache.close()
  monitor.close()
}

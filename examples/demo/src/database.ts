import { fork, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import pg from 'pg'

/** Where the demo's data lives. */
export interface DemoDatabase {
  /** Connection string (without schema options). */
  url: string
  /** PostgreSQL schema holding the demo tables. */
  schema: string
  /** For the table header: "PGlite 0.5 (embedded)" or the server version. */
  label: string
  /** pg.Pool options that put `schema` first on the search path. */
  poolConfig(max: number): pg.PoolConfig
  /** Drops what the demo created (the schema, or the embedded database). */
  stop(): Promise<void>
}

const EMBEDDED_START_TIMEOUT_MS = 60_000

/** Starts the embedded PGlite server in a child process and resolves its port. */
async function startEmbedded(): Promise<{ child: ChildProcess; port: number }> {
  const entry = fileURLToPath(new URL('./embedded-db-server.ts', import.meta.url))
  const child = fork(entry, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('[demo] embedded PGlite did not start within 60s')),
      EMBEDDED_START_TIMEOUT_MS,
    )
    child.once('message', (message: { type?: string; port?: number }) => {
      clearTimeout(timer)
      if (message.type === 'ready' && message.port) resolve(message.port)
      else reject(new Error(`[demo] unexpected message from embedded PGlite: ${JSON.stringify(message)}`))
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`[demo] embedded PGlite exited with code ${code}`))
    })
  })
  return { child, port }
}

/**
 * Opens the demo database: `DATABASE_URL` (a fresh `perf_demo_<random>` schema, dropped at the
 * end) or, without it, an embedded PGlite served over the PostgreSQL wire protocol.
 */
export async function openDatabase(databaseUrl: string | undefined): Promise<DemoDatabase> {
  if (databaseUrl) {
    const schema = `perf_demo_${randomBytes(4).toString('hex')}`
    const admin = new pg.Client({ connectionString: databaseUrl })
    await admin.connect()
    const version =
      (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? '?'
    await admin.query(`CREATE SCHEMA "${schema}"`)
    await admin.end()
    return {
      url: databaseUrl,
      schema,
      label: `PostgreSQL ${version} (DATABASE_URL, schema ${schema})`,
      poolConfig: (max) => ({ connectionString: databaseUrl, max, options: `-c search_path="${schema}"` }),
      async stop() {
        const client = new pg.Client({ connectionString: databaseUrl })
        await client.connect()
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
        await client.end()
      },
    }
  }
  const { child, port } = await startEmbedded()
  const url = `postgresql://postgres@127.0.0.1:${port}/postgres`
  return {
    url,
    schema: 'public',
    label: 'PGlite 0.5 embedded (WASM PostgreSQL in a child process, 1 connection per pool)',
    // PGlite is one session underneath: pglite-socket interleaves extended-protocol messages of
    // concurrent connections (portal "" does not exist, wrong rows), so each pool gets ONE
    // connection and the demo never runs two pools at once. PGlite executes one statement at a
    // time anyway, so this costs no database throughput; the pool's queue shows as "waiting".
    poolConfig: () => ({ connectionString: url, max: 1 }),
    async stop() {
      if (child.exitCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    },
  }
}

import { execFile } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** A PostgreSQL server this test run started and will stop. */
export interface PrivatePostgres {
  /** `postgresql://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string
  readonly port: number
  readonly dataDir: string
  stop(): Promise<void>
}

/** Finds `initdb` and `pg_ctl`: `PERF_PG_BIN`, else the newest Debian/Ubuntu `/usr/lib/postgresql/<major>/bin`. */
export function findPostgresBin(): string | undefined {
  const candidates: string[] = []
  if (process.env.PERF_PG_BIN) candidates.push(process.env.PERF_PG_BIN)
  const root = '/usr/lib/postgresql'
  if (existsSync(root)) {
    const majors = readdirSync(root)
      .filter((d) => /^\d+$/.test(d))
      .sort((a, b) => Number(b) - Number(a))
    candidates.push(...majors.map((m) => join(root, m, 'bin')))
  }
  return candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')))
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/**
 * Runs a PostgreSQL binary. initdb (and postgres) refuse to run as root, so as root every binary
 * runs as the `postgres` system user through `runuser -u postgres --` (util-linux, present on
 * Debian; `su postgres -c` would need shell quoting), and the data directory is chowned to it.
 */
async function pgBin(bin: string, tool: string, args: string[], asPostgres: boolean, timeoutMs: number) {
  const file = join(bin, tool)
  const [cmd, argv] = asPostgres ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args]
  return run(cmd, argv, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 })
}

/**
 * initdb + pg_ctl start a throwaway server on a free 127.0.0.1 port, with its unix socket in its own
 * temp directory, `pg_stat_statements` preloaded, and durability off (fsync) because the data is
 * thrown away. Timeouts are generous: on a loaded 2-core machine initdb alone can take 20 s.
 */
export async function startPrivatePostgres(
  options: { startTimeoutMs?: number; preload?: boolean } = {},
): Promise<PrivatePostgres> {
  const bin = findPostgresBin()
  if (!bin) throw new Error('initdb/pg_ctl not found (set PERF_PG_BIN to the directory that holds them)')
  const startTimeoutS = Math.ceil((options.startTimeoutMs ?? 120_000) / 1000)
  const asPostgres = userInfo().uid === 0
  const dataDir = mkdtempSync(join(tmpdir(), 'perf-pg-'))
  if (asPostgres) {
    const { stdout } = await run('id', ['-u', 'postgres'])
    const { stdout: gid } = await run('id', ['-g', 'postgres'])
    chownSync(dataDir, Number(stdout.trim()), Number(gid.trim()))
  }
  chmodSync(dataDir, 0o700)
  const pgdata = join(dataDir, 'data')
  const port = await freePort()
  try {
    await pgBin(
      bin,
      'initdb',
      ['-D', pgdata, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'],
      asPostgres,
      180_000,
    )
    const conf = [
      `port = ${port}`,
      `listen_addresses = '127.0.0.1'`,
      `unix_socket_directories = '${dataDir}'`,
      ...(options.preload === false
        ? []
        : [`shared_preload_libraries = 'pg_stat_statements'`, `pg_stat_statements.track = all`]),
      `max_connections = 60`,
      `fsync = off`,
      `synchronous_commit = off`,
      `full_page_writes = off`,
      `shared_buffers = 64MB`,
      `log_min_messages = warning`,
    ].join('\n')
    writeFileSync(join(pgdata, 'postgresql.auto.conf'), `${conf}\n`)
    if (asPostgres) {
      const { stdout } = await run('id', ['-u', 'postgres'])
      const { stdout: gid } = await run('id', ['-g', 'postgres'])
      chownSync(join(pgdata, 'postgresql.auto.conf'), Number(stdout.trim()), Number(gid.trim()))
    }
    await pgBin(
      bin,
      'pg_ctl',
      ['start', '-D', pgdata, '-w', '-t', String(startTimeoutS), '-l', join(dataDir, 'server.log')],
      asPostgres,
      (startTimeoutS + 30) * 1000,
    )
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true })
    throw error
  }
  let stopped = false
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    async stop() {
      if (stopped) return
      stopped = true
      // immediate: the data is thrown away, so no checkpoint is worth waiting for
      await pgBin(bin, 'pg_ctl', ['stop', '-D', pgdata, '-m', 'immediate', '-w', '-t', '60'], asPostgres, 90_000).catch(
        () => undefined,
      )
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

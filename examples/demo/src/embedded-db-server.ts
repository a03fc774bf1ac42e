/**
 * Child process of the demo: an in-memory PGlite (PostgreSQL compiled to WASM) behind
 * pglite-socket's wire-protocol server, so the demo talks to it through the same
 * `pg.Pool` + `@prisma/adapter-pg` path it would use with a real server. Running it in its own
 * process keeps the database's CPU work off the workload's event loop (a second core), as a
 * real database server would be.
 */
import { PGlite } from '@electric-sql/pglite'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'

const db = await PGlite.create()
// The socket server queues statements (PGlite runs one at a time) and keeps a transaction's
// statements on the connection that opened it, so a pool of connections is safe.
const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 16 })
await server.start()
const port = Number(server.getServerConn().split(':').pop())
process.send?.({ type: 'ready', port })

async function shutdown(): Promise<void> {
  await server.stop().catch(() => undefined)
  await db.close().catch(() => undefined)
  process.exit(0)
}
// The parent going away (normally or not) ends the database too.
process.on('disconnect', () => void shutdown())
process.on('SIGTERM', () => void shutdown())

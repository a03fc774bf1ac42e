// One of 8 processes contending for one lock; each critical section bumps a PostgreSQL counter that
// records how many holders are inside (must always read 1) and writes with the lock's fence.
import { Redis } from 'ioredis'
import pg from 'pg'
import { redlockLocker } from '../../src/index.js'
import { on, onExit, send } from './worker-io.js'

const [port, pgUrl, table, resource, countArg] = process.argv.slice(2) as [string, string, string, string, string]
const redis = new Redis({ port: Number(port) })
const db = new pg.Client({ connectionString: pgUrl })
await db.connect()
await redis.ping()
const locker = redlockLocker(redis)

on('go', async () => {
  const count = Number(countArg)
  let overlaps = 0
  let fenceRejected = 0
  let lastFence = 0
  for (let i = 0; i < count; i++) {
    const lock = await locker.acquire(resource, 5_000, { waitMs: 60_000 })
    const { rows } = await db.query(
      `UPDATE ${table} SET holders = holders + 1, total = total + 1, fence = $1 WHERE id = 1 AND fence < $1 RETURNING holders`,
      [lock.fence],
    )
    if (rows.length === 0) fenceRejected++
    else if (rows[0].holders !== 1) overlaps++
    if (rows.length > 0) await db.query(`UPDATE ${table} SET holders = holders - 1 WHERE id = 1`)
    if (lock.fence <= lastFence) fenceRejected++
    lastFence = lock.fence
    await lock.release()
  }
  send({ type: 'done', overlaps, fenceRejected })
})
onExit(async () => {
  await locker.close()
  await db.end()
  redis.disconnect()
})
send({ type: 'ready' })

import { createHash } from 'node:crypto'
import type { RedisClient } from './client.js'

type Arg = string | number | Buffer

/** ioredis has Buffer variants of every command at run time; its type declarations omit these two. */
interface BufferScripting {
  evalshaBuffer(sha: string, numKeys: number, ...args: Arg[]): Promise<unknown>
  evalBuffer(source: string, numKeys: number, ...args: Arg[]): Promise<unknown>
}

/**
 * A Lua script run with EVALSHA, falling back to EVAL when the server does not know it yet
 * (restart, SCRIPT FLUSH, a Cluster node seeing it for the first time). Avoids `defineCommand`,
 * which would add methods to the user's client.
 */
export class LuaScript {
  readonly sha: string
  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex')
  }

  /** Runs the script; replies come back as strings (or numbers/arrays of them). */
  async run(client: RedisClient, keys: readonly string[], args: readonly Arg[] = []): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args)
    } catch (err) {
      if (!isNoScript(err)) throw err
      return client.eval(this.source, keys.length, ...keys, ...args)
    }
  }

  /** Like {@link run} but bulk replies come back as Buffers (binary values). */
  async runBuffer(client: RedisClient, keys: readonly string[], args: readonly Arg[] = []): Promise<unknown> {
    // evalshaBuffer, not callBuffer('evalsha', ...): with enableAutoPipelining, ioredis misreads
    // callBuffer's arguments (it threw an uncaught TypeError that ended the process).
    try {
      return await (client as unknown as BufferScripting).evalshaBuffer(this.sha, keys.length, ...keys, ...args)
    } catch (err) {
      if (!isNoScript(err)) throw err
      return (client as unknown as BufferScripting).evalBuffer(this.source, keys.length, ...keys, ...args)
    }
  }
}

/** True for the server's "NOSCRIPT No matching script" reply. */
export function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOSCRIPT')
}

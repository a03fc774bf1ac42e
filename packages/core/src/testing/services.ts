import net from 'node:net'

/** Options for {@link requireService} and {@link serviceMissing}. */
export interface RequireServiceOptions {
  /** Prefix of the messages, naming who needs the service (`'[perf:redis tests]'`). @default '[perf tests]' */
  scope?: string
  /** What is skipped when the service is missing. @default 'these tests' */
  skipping?: string
  /** Checks before giving up: a busy machine can be slow to answer once. @default 3 */
  attempts?: number
  /** Environment to read `PERF_REQUIRE_SERVICES` from. @default process.env */
  env?: Record<string, string | undefined>
}

/** Whether `PERF_REQUIRE_SERVICES=1` (CI): a missing service fails instead of skipping. */
export function servicesRequired(env: Record<string, string | undefined> = process.env): boolean {
  return env.PERF_REQUIRE_SERVICES === '1'
}

/**
 * Reports a missing service: throws when `PERF_REQUIRE_SERVICES=1`, otherwise warns loudly that
 * the tests are being skipped and returns false. For callers that already know the service is
 * missing (a binary not installed); {@link requireService} probes first.
 *
 * @param name what is missing, with where it was looked for (`'Redis at redis://127.0.0.1:6379'`)
 * @param reason why it counts as missing, appended to the messages (an error's text)
 * @throws Error when `PERF_REQUIRE_SERVICES=1`
 */
export function serviceMissing(name: string, reason?: string, options: RequireServiceOptions = {}): false {
  const { scope = '[perf tests]', skipping = 'these tests' } = options
  const why = reason ? ` (${reason})` : ''
  if (servicesRequired(options.env))
    throw new Error(`${scope} ${name} is required (PERF_REQUIRE_SERVICES=1) but not available${why}`)
  console.warn(
    `\n⚠️  ${scope} SKIPPING ${skipping}: ${name} is not available${why}; set PERF_REQUIRE_SERVICES=1 to fail instead\n`,
  )
  return false
}

/**
 * Probes a service a few times: true as soon as `check` answers true. When it never does (false or
 * a throw, whose message becomes the reason), warns loudly and resolves false, so the caller skips
 * its tests, or rejects when `PERF_REQUIRE_SERVICES=1` so CI fails instead of skipping silently.
 *
 * @throws Error when the service is missing and `PERF_REQUIRE_SERVICES=1`
 * @example
 * const ok = await requireService('Redis at 127.0.0.1:6379', () => redisPing(6379), { scope: '[perf:redis tests]' })
 * describe.skipIf(!ok)('redisStore', () => { ... })
 */
export async function requireService(
  name: string,
  check: () => boolean | Promise<boolean>,
  options: RequireServiceOptions = {},
): Promise<boolean> {
  const attempts = Math.max(1, options.attempts ?? 3)
  let reason: string | undefined
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      if (await check()) return true
      reason = undefined
    } catch (error) {
      reason = error instanceof Error ? error.message : String(error)
    }
  }
  return serviceMissing(name, reason, options)
}

/** Resolves true when something accepts TCP connections on host:port within `timeoutMs`; never rejects. */
export function tcpReachable(host: string, port: number, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port })
    const done = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/** Sends `PING` over a raw socket (no client library needed); true on `+PONG`. Never rejects. */
export function redisPing(port = 6379, host = '127.0.0.1', timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port })
    let reply = ''
    const done = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => {
      reply += chunk.toString()
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'))
    })
  })
}

/**
 * Opens a PostgreSQL session over a raw socket (no client library needed) with the user and
 * database of `url`, and resolves true once the server says it is ready for queries
 * (`ReadyForQuery`). A server that asks for a password, refuses the database or role, or does not
 * answer within `timeoutMs` resolves false. Never rejects.
 */
export function postgresPing(url: string, timeoutMs = 2_000): Promise<boolean> {
  let target: URL
  try {
    target = new URL(url)
  } catch {
    return Promise.resolve(false)
  }
  const user = decodeURIComponent(target.username) || process.env.PGUSER || 'postgres'
  const database = decodeURIComponent(target.pathname.slice(1)) || user
  const params = Buffer.from(`user\0${user}\0database\0${database}\0\0`)
  const startup = Buffer.alloc(8 + params.length)
  startup.writeInt32BE(startup.length, 0)
  startup.writeInt32BE(196_608, 4) // protocol 3.0
  params.copy(startup, 8)
  return new Promise((resolve) => {
    const socket = net.connect({ host: target.hostname || '127.0.0.1', port: Number(target.port) || 5432 })
    let buffered = Buffer.alloc(0)
    const done = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write(startup))
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk])
      // Messages: a type byte, then a length that counts itself.
      while (buffered.length >= 5) {
        const type = String.fromCharCode(buffered[0]!)
        const length = buffered.readInt32BE(1)
        if (buffered.length < 1 + length) return
        const body = buffered.subarray(5, 1 + length)
        buffered = buffered.subarray(1 + length)
        if (type === 'E') return done(false)
        // Authentication: 0 is OK; anything else asks for credentials this check does not have.
        if (type === 'R' && body.readInt32BE(0) !== 0) return done(false)
        if (type === 'Z') {
          socket.write(Buffer.from([0x58, 0, 0, 0, 4])) // Terminate
          return done(true)
        }
      }
    })
  })
}

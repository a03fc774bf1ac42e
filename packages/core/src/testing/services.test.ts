import net from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { postgresPing, redisPing, requireService, serviceMissing, tcpReachable } from './services.js'

const down = { PERF_REQUIRE_SERVICES: undefined }
const required = { PERF_REQUIRE_SERVICES: '1' }

/** A local server that answers each connection with `reply` (or nothing); closed by the test. */
async function server(reply?: string): Promise<{ port: number; close: () => Promise<void> }> {
  const srv = net.createServer((socket) => {
    socket.on('data', () => (reply === undefined ? undefined : socket.end(reply)))
    socket.on('error', () => undefined)
  })
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const { port } = srv.address() as net.AddressInfo
  return { port, close: () => new Promise((resolve) => srv.close(() => resolve())) }
}

describe('requireService', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('requireService() resolves true as soon as a check passes, without warning', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    const check = vi.fn().mockResolvedValueOnce(false).mockResolvedValueOnce(true)
    await expect(requireService('Redis', check, { env: down })).resolves.toBe(true)
    expect(check).toHaveBeenCalledTimes(2)
    expect(warn).not.toHaveBeenCalled()
  })

  it('requireService() tries `attempts` times, then warns loudly and resolves false', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    const check = vi.fn(() => false)
    await expect(
      requireService('Redis at 127.0.0.1:6379', check, {
        env: down,
        scope: '[perf:x tests]',
        skipping: 'the x tests',
        attempts: 4,
      }),
    ).resolves.toBe(false)
    expect(check).toHaveBeenCalledTimes(4)
    expect(warn).toHaveBeenCalledTimes(1)
    expect(warn.mock.calls[0]?.[0]).toBe(
      '\n⚠️  [perf:x tests] SKIPPING the x tests: Redis at 127.0.0.1:6379 is not available; set PERF_REQUIRE_SERVICES=1 to fail instead\n',
    )
  })

  it('requireService() rejects when PERF_REQUIRE_SERVICES=1, with the last error of the check as the reason', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    const check = (): Promise<boolean> => Promise.reject(new Error('ECONNREFUSED'))
    await expect(
      requireService('PostgreSQL at db:5432', check, { env: required, scope: '[perf:prisma tests]' }),
    ).rejects.toThrow(
      '[perf:prisma tests] PostgreSQL at db:5432 is required (PERF_REQUIRE_SERVICES=1) but not available (ECONNREFUSED)',
    )
    expect(warn).not.toHaveBeenCalled()
  })

  it('serviceMissing() warns and returns false, or throws when required', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    expect(serviceMissing('chromium', 'apt-get install -y chromium', { env: down })).toBe(false)
    expect(warn.mock.calls[0]?.[0]).toContain(
      '[perf tests] SKIPPING these tests: chromium is not available (apt-get install -y chromium)',
    )
    expect(() => serviceMissing('chromium', undefined, { env: required })).toThrow(
      '[perf tests] chromium is required (PERF_REQUIRE_SERVICES=1) but not available',
    )
  })
})

describe('tcpReachable', () => {
  it('tcpReachable() is true while something listens and false once it is gone', async () => {
    const srv = await server()
    expect(await tcpReachable('127.0.0.1', srv.port)).toBe(true)
    await srv.close()
    expect(await tcpReachable('127.0.0.1', srv.port, 500)).toBe(false)
  })
})

describe('redisPing', () => {
  it('redisPing() is true only on +PONG', async () => {
    const redis = await server('+PONG\r\n')
    const other = await server('-ERR unknown command\r\n')
    try {
      expect(await redisPing(redis.port)).toBe(true)
      expect(await redisPing(other.port, '127.0.0.1')).toBe(false)
    } finally {
      await redis.close()
      await other.close()
    }
  })
})

describe('postgresPing', () => {
  it('postgresPing() is true for the local PostgreSQL (trust auth), false for a wrong database, a silent port and a bad URL', async () => {
    const url = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test'
    if (!(await tcpReachable(new URL(url).hostname, Number(new URL(url).port) || 5432))) {
      serviceMissing('PostgreSQL', 'not listening', { scope: '[perf:core tests]', skipping: 'the postgresPing test' })
      return
    }
    await expect(postgresPing(url)).resolves.toBe(true)
    const wrong = new URL(url)
    wrong.pathname = '/no_such_database_perf'
    await expect(postgresPing(wrong.toString())).resolves.toBe(false)
    const silent = await server()
    try {
      await expect(postgresPing(`postgresql://u@127.0.0.1:${silent.port}/db`, 200)).resolves.toBe(false)
    } finally {
      await silent.close()
    }
    await expect(postgresPing('not a url')).resolves.toBe(false)
  })
})

import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pingRedis } from './services.js'

// Servers still running when the test process exits (a timed-out afterAll) are killed with it.
const running = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

/** A free TCP port on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

/** Whether the redis-server binary is on PATH. */
export function hasRedisServerBinary(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/**
 * A throw-away redis-server on a free port (no persistence), for tests that kill, pause and restart
 * Redis. Always call stop() (afterAll).
 */
export class RedisServer {
  #process: ChildProcess | undefined
  readonly #dir = mkdtempSync(path.join(tmpdir(), 'perf-redis-'))
  constructor(
    readonly port: number,
    readonly extraArgs: readonly string[] = [],
  ) {}

  static async start(extraArgs: readonly string[] = []): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), extraArgs)
    await server.start()
    return server
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  async start(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      this.#dir,
      ...this.extraArgs,
    ]
    const child = spawn('redis-server', args, { stdio: 'ignore' })
    running.add(child)
    child.once('exit', () => running.delete(child))
    this.#process = child
    await waitFor(() => pingRedis(this.port), 5_000, `redis-server on port ${this.port}`)
  }

  /** SIGKILL: the server disappears without closing connections gracefully. */
  async kill(): Promise<void> {
    const proc = this.#process
    this.#process = undefined
    if (!proc || proc.exitCode !== null) return
    const exited = new Promise((resolve) => proc.once('exit', resolve))
    proc.kill('SIGKILL')
    await exited
  }

  /** SIGSTOP: the server stops answering but keeps its sockets (a hung Redis). */
  pause(): void {
    this.#process?.kill('SIGSTOP')
  }

  resume(): void {
    this.#process?.kill('SIGCONT')
  }

  async restart(): Promise<void> {
    await this.kill()
    await this.start()
  }

  async stop(): Promise<void> {
    this.resume()
    await this.kill()
    rmSync(this.#dir, { recursive: true, force: true })
  }
}

/** A real local Redis Cluster of three masters (no replicas) on free ports. */
export class RedisClusterProcesses {
  constructor(readonly servers: readonly RedisServer[]) {}

  get nodes(): { host: string; port: number }[] {
    return this.servers.map((s) => ({ host: '127.0.0.1', port: s.port }))
  }

  static async start(masters = 3): Promise<RedisClusterProcesses> {
    const servers: RedisServer[] = []
    for (let i = 0; i < masters; i++) {
      const port = await freePort()
      const server = new RedisServer(port, [
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--cluster-node-timeout',
        '2000',
      ])
      await server.start()
      servers.push(server)
    }
    const cluster = new RedisClusterProcesses(servers)
    const create = spawnSync(
      'redis-cli',
      ['--cluster', 'create', ...servers.map((s) => `127.0.0.1:${s.port}`), '--cluster-replicas', '0', '--cluster-yes'],
      {
        encoding: 'utf8',
        timeout: 20_000,
      },
    )
    if (create.status !== 0) {
      await cluster.stop()
      throw new Error(`redis-cli --cluster create failed: ${create.stderr || create.stdout}`)
    }
    await waitFor(async () => servers.every((s) => clusterOk(s.port)), 15_000, 'cluster_state:ok')
    return cluster
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop()))
  }
}

function clusterOk(port: number): boolean {
  const info = spawnSync('redis-cli', ['-p', String(port), 'cluster', 'info'], { encoding: 'utf8' })
  return info.stdout.includes('cluster_state:ok')
}

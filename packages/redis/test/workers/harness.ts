import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** A message between the test and its worker processes. */
export type WorkerMessage = { type: string; [field: string]: unknown }

/**
 * Node worker processes (real OS processes, TypeScript through tsx) that talk to the test over IPC:
 * each sends `{ type: 'ready' }` once connected; the test then broadcasts commands and collects replies.
 */
export class WorkerPool {
  readonly #children: ChildProcess[]
  readonly #inbox: WorkerMessage[][]
  readonly #waiters: (() => void)[] = []

  private constructor(children: ChildProcess[]) {
    this.#children = children
    this.#inbox = children.map(() => [])
    children.forEach((child, i) => {
      child.on('message', (message: WorkerMessage) => {
        this.#inbox[i]!.push(message)
        for (const wake of this.#waiters.splice(0)) wake()
      })
      child.on('exit', () => {
        for (const wake of this.#waiters.splice(0)) wake()
      })
    })
  }

  /** Forks `count` workers running `script` (path relative to this folder) with `args`, and waits until each is ready. */
  static async start(
    script: string,
    count: number,
    args: (index: number) => string[],
    timeoutMs = 90_000,
  ): Promise<WorkerPool> {
    const file = fileURLToPath(new URL(script, import.meta.url))
    const children = Array.from({ length: count }, (_, i) =>
      fork(file, args(i), { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    )
    const pool = new WorkerPool(children)
    await pool.collect('ready', timeoutMs)
    return pool
  }

  get size(): number {
    return this.#children.length
  }

  /** Sends `message` to every worker (or to one). */
  send(message: WorkerMessage, index?: number): void {
    const targets = index === undefined ? this.#children : [this.#children[index]!]
    for (const child of targets) child.send(message)
  }

  /**
   * Waits until every worker (or each of `from`) has sent a message of `type`; returns them (and
   * removes them from the inbox), in worker order. A worker's `{ type: 'error' }` fails the wait.
   */
  async collect(
    type: string,
    timeoutMs = 60_000,
    from: readonly number[] = this.#children.map((_, i) => i),
  ): Promise<WorkerMessage[]> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const failed = this.#inbox.findIndex((box) => box.some((m) => m.type === 'error'))
      if (failed !== -1)
        throw new Error(
          `worker ${failed} failed: ${String(this.#inbox[failed]!.find((m) => m.type === 'error')!.error)}`,
        )
      const found = from.map((w) => this.#inbox[w]!.findIndex((m) => m.type === type))
      if (found.every((i) => i !== -1)) return found.map((i, j) => this.#inbox[from[j]!]!.splice(i, 1)[0]!)
      const dead = from.find((w, j) => this.#children[w]!.exitCode !== null && found[j] === -1) ?? -1
      if (dead !== -1)
        throw new Error(`worker ${dead} exited (code ${this.#children[dead]!.exitCode}) before sending "${type}"`)
      if (Date.now() > deadline) throw new Error(`timed out waiting for "${type}" from every worker`)
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve)
        setTimeout(resolve, 100).unref()
      })
    }
  }

  /** Asks workers to exit, then kills what is left. */
  async stop(): Promise<void> {
    await Promise.all(
      this.#children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve()
            const timer = setTimeout(() => child.kill('SIGKILL'), 3_000)
            child.once('exit', () => {
              clearTimeout(timer)
              resolve()
            })
            if (child.connected) child.send({ type: 'exit' })
            else child.kill('SIGTERM')
          }),
      ),
    )
  }
}

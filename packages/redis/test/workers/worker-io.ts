import type { WorkerMessage } from './harness.js'

/** Sends a message to the test process. */
export function send(message: WorkerMessage): void {
  process.send?.(message)
}

/** Calls `handler` for every message of `type` from the test; `{ type: 'exit' }` runs `onExit` and exits. */
export function on(type: string, handler: (message: WorkerMessage) => void | Promise<void>): void {
  process.on('message', (message: WorkerMessage) => {
    if (message.type === type) {
      Promise.resolve(handler(message)).catch((err: unknown) => {
        send({ type: 'error', error: String((err as Error)?.stack ?? err) })
      })
    }
  })
}

/** Registers cleanup for `{ type: 'exit' }`, then exits. */
export function onExit(cleanup: () => Promise<void>): void {
  process.on('message', (message: WorkerMessage) => {
    if (message.type !== 'exit') return
    cleanup().finally(() => process.exit(0))
  })
}

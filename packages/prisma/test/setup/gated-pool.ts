import pg from 'pg'

/**
 * A pg.Pool that can hold back the result of one matching statement until the test opens the
 * gate: the statement has run in PostgreSQL (it saw the data as it was), its caller just does not
 * get the rows yet. Lets tests stage "slow reader" races deterministically, without sleeps.
 */
export class GatedPool extends pg.Pool {
  private gate: { match: RegExp; reached: () => void; opened: Promise<void> } | undefined

  /** Arms the gate for the next statement matching `match`; returns `reached` (resolves when held) and `open()`. */
  arm(match: RegExp): { reached: Promise<void>; open: () => void } {
    let reached!: () => void
    let open!: () => void
    const reachedPromise = new Promise<void>((resolve) => (reached = resolve))
    const opened = new Promise<void>((resolve) => (open = resolve))
    this.gate = { match, reached, opened }
    return { reached: reachedPromise, open }
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(...args: any[]): any {
    const gate = this.gate
    const text: unknown = typeof args[0] === 'string' ? args[0] : args[0]?.text
    const hasCallback = typeof args[args.length - 1] === 'function'
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const run = () => (super.query as any)(...args)
    if (!gate || hasCallback || typeof text !== 'string' || !gate.match.test(text)) return run()
    this.gate = undefined
    return (run() as Promise<unknown>).then(async (result) => {
      gate.reached()
      await gate.opened
      return result
    })
  }
}

/** A one-line progress bar on a TTY; a few milestone lines elsewhere (CI logs, tests). */
export class ProgressBar {
  private done = 0
  private lastMilestone = -1
  private readonly started = performance.now()
  private readonly tty: boolean

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly unit = 'rows',
    private readonly out: NodeJS.WriteStream = process.stdout,
  ) {
    this.tty = Boolean(out.isTTY)
  }

  /** Sets the finished units and redraws. */
  set(done: number, detail = ''): void {
    this.tick(done - this.done, detail)
  }

  /** Adds `n` finished units and redraws. */
  tick(n: number, detail = ''): void {
    this.done = Math.min(this.total, this.done + n)
    const ratio = this.total === 0 ? 1 : this.done / this.total
    const rate = this.done / Math.max(0.001, (performance.now() - this.started) / 1000)
    const counts = this.unit
      ? ` ${this.done.toLocaleString('en-US')}/${this.total.toLocaleString('en-US')} ${this.unit} ${Math.round(rate).toLocaleString('en-US')}/s`
      : ''
    const text = `${this.label} ${bar(ratio)} ${(ratio * 100).toFixed(0).padStart(3)}%${counts} ${detail}`
    if (this.tty) this.out.write(`\r${text.padEnd(100)}`)
    else {
      const milestone = Math.floor(ratio * 4)
      if (milestone !== this.lastMilestone) {
        this.lastMilestone = milestone
        this.out.write(`${text}\n`)
      }
    }
  }

  /** Ends the bar line. */
  finish(): number {
    const seconds = (performance.now() - this.started) / 1000
    if (this.tty) this.out.write('\n')
    return seconds
  }
}

function bar(ratio: number, width = 28): string {
  const full = Math.round(ratio * width)
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`
}

import { describeLibrary, describeMachine, loadAverage, type CpuReading } from './env.js'
import { formatNs, formatRate, formatRatio, formatRatioPrecise } from './format.js'
import {
  measureCases,
  pairedRatio,
  timerOverheadNs,
  type BenchCase,
  type CaseResult,
  type MeasureOptions,
} from './measure.js'
import { tableToText, targetToText, type Block, type SuiteReport, type TableBlock, type Target } from './report.js'

/** A benchmark suite: `src/suites/<name>.ts` default-exports one. */
export interface Suite {
  /** CLI name (`cache`); also the marker name in docs/benchmarks.md. */
  name: string
  /** Heading in the docs. */
  title: string
  /** Packages whose installed versions are printed with the figures (`parent>dep` for a dependency's dependency). */
  libraries: string[]
  /** How the suite measures, when not through `ctx.compare()` (the report's "Method:" line). */
  method?: string
  run(ctx: SuiteContext): Promise<void>
}

/** Options of {@link SuiteContext.compare}. */
export interface CompareOptions {
  /** Name of the case every ratio is computed against. */
  baseline: string
  /** Sentence under the table: what one operation is. */
  note?: string
}

/** Comparison operators a target may use. */
export type TargetOp = '>=' | '<=' | '=='

const OP_TEXT: Record<TargetOp, string> = { '>=': '≥', '<=': '≤', '==': '=' }

/** Read by a suite while it runs; collects its report. */
export class SuiteContext {
  readonly blocks: Block[] = []
  readonly targets: Target[] = []
  readonly warnings: string[] = []
  skipped: string | undefined
  private timerNs: number | undefined

  constructor(
    readonly suite: Suite,
    /** Quick mode: two short rounds, reduced sizes; used by the package's test script. */
    readonly quick: boolean,
    readonly options: MeasureOptions,
  ) {}

  /** `full` normally, `quick` in quick mode (sizes of data sets, iteration counts). */
  size(full: number, quick: number): number {
    return this.quick ? quick : full
  }

  /** Prints a progress line (not part of the report). */
  log(message: string): void {
    console.log(`  · ${message}`)
  }

  /** Measures `cases` side by side, adds a table with ratios against `baseline`, returns the results. */
  async compare(title: string, cases: readonly BenchCase[], options: CompareOptions): Promise<Map<string, CaseResult>> {
    this.log(`${title} (${cases.length} cases)`)
    const results = await measureCases(cases, this.options)
    const base = results.find((r) => r.name === options.baseline)
    if (!base) throw new Error(`[bench] baseline "${options.baseline}" is not one of the cases of "${title}"`)
    const withLatency = results.some((r) => r.p99Ns !== undefined)
    const headers = [
      'case',
      'ops/s',
      'ns/op',
      '± (MAD)',
      ...(withLatency ? ['p50', 'p99'] : []),
      `vs ${options.baseline}`,
    ]
    const rows = results.map((r) => [
      r.name,
      formatRate(r.opsPerSec),
      formatNs(r.nsPerOp),
      `${(r.spread * 100).toFixed(1)} %`,
      ...(withLatency ? [formatNs(r.p50Ns), formatNs(r.p99Ns)] : []),
      formatRatio(pairedRatio(r, base)),
    ])
    let note = options.note ?? ''
    if (withLatency) {
      this.timerNs ??= timerOverheadNs()
      note += `${note ? ' ' : ''}p50/p99: single operations timed one by one (includes ≈${Math.round(this.timerNs)} ns of timer overhead).`
    }
    this.table({ kind: 'table', title, headers, rows, ...(note ? { note } : {}) })
    return new Map(results.map((r) => [r.name, r]))
  }

  /** Paired ratio (see {@link pairedRatio}) of two cases of one `compare` call: `name` over `baseline`. */
  ratio(results: Map<string, CaseResult>, name: string, baseline: string): number {
    const a = results.get(name)
    const b = results.get(baseline)
    if (!a || !b) throw new Error(`[bench] no result for "${a ? baseline : name}"`)
    return pairedRatio(a, b)
  }

  /** Adds (and prints) a table a suite built itself (stampede counts, accuracy, memory). */
  table(table: Omit<TableBlock, 'kind'> & { kind?: 'table' }): void {
    const block: TableBlock = { ...table, kind: 'table' }
    this.blocks.push(block)
    console.log(`\n${tableToText(block)}\n`)
  }

  /** Adds a paragraph to the report. */
  text(text: string): void {
    this.blocks.push({ kind: 'text', text })
  }

  /** Adds a qualification shown above the figures. */
  warn(message: string): void {
    this.warnings.push(message)
    console.log(`  ! ${message}`)
  }

  /**
   * Judges a target. `format` renders both the measured value and the threshold.
   * Speed targets are labelled as not judged in quick mode (the rounds are too short to mean much).
   */
  target(
    name: string,
    kind: Target['kind'],
    actual: number,
    op: TargetOp,
    threshold: number,
    format: (v: number) => string = formatRatioPrecise,
  ): boolean {
    const pass = op === '>=' ? actual >= threshold : op === '<=' ? actual <= threshold : actual === threshold
    const target: Target = { name, kind, actual: format(actual), expected: `${OP_TEXT[op]} ${format(threshold)}`, pass }
    this.targets.push(target)
    console.log(targetToText(target) + (kind === 'speed' && this.quick ? '  [quick mode: indicative only]' : ''))
    return pass
  }

  /** Marks the suite as not runnable (missing API, service down); the runner reports the reason. */
  skip(reason: string): void {
    this.skipped = reason
    console.log(`  skipped: ${reason}`)
  }

  /** The report sent to the runner; `cpu` is the reading of the probe started with the suite. */
  report(startLoad: string, cpu: CpuReading): SuiteReport {
    const environment = [
      ...describeMachine(),
      `Versions: ${this.suite.libraries.map(describeLibrary).join(', ')}`,
      `Method: ${this.suite.method ?? `${this.options.rounds} measured rounds of ${this.options.roundMs} ms per case after ${this.options.warmupRounds} warm-up round(s), rounds interleaved across cases, gc before each round; ops/s and ns/op are medians of the rounds, ratios are medians of per-round ratios (rounds with the same index ran back to back)`}${this.quick ? ' (QUICK MODE: not representative)' : ''}`,
      `Load average (1/5/15 min) at start: ${startLoad}; at end: ${loadAverage()}. ${cpu.line}`,
    ]
    return {
      suite: this.suite.name,
      title: this.suite.title,
      ...(this.skipped ? { skipped: this.skipped } : {}),
      blocks: this.blocks,
      targets: this.targets,
      environment,
      warnings: this.warnings,
      ...(cpu.others === undefined ? {} : { noise: cpu.others }),
    }
  }
}

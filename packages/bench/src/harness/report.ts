/**
 * What a suite produces: an ordered list of tables and notes plus the targets it judged. It is
 * plain JSON so that a suite's child process can send it to the runner, which renders it into
 * docs/benchmarks.md.
 */

/** One table: a title, column headers and rows of already formatted cells. */
export interface TableBlock {
  kind: 'table'
  title: string
  headers: string[]
  rows: string[][]
  /** One or two sentences under the table: what was measured and how to read it. */
  note?: string
}

/** A paragraph of prose. */
export interface TextBlock {
  kind: 'text'
  text: string
}

export type Block = TableBlock | TextBlock

/**
 * A target from an issue. `speed` targets depend on the machine and are judged on full runs
 * only; `exact` targets (loader calls, batch counts, accuracy on a seeded sample) are
 * deterministic, so the quick run used as a test fails when one of them fails.
 */
export interface Target {
  name: string
  kind: 'speed' | 'exact'
  /** The measured value, formatted (`0.93×`, `1`, `0.41 %`). */
  actual: string
  /** The requirement, formatted (`≥ 0.8×`). */
  expected: string
  pass: boolean
}

/** Everything a suite reports. */
export interface SuiteReport {
  suite: string
  title: string
  /** Set when the suite could not run (a dependency not built yet); nothing else is reported. */
  skipped?: string
  blocks: Block[]
  targets: Target[]
  /** Machine, Node, library versions and run settings, as formatted lines. */
  environment: string[]
  /** Warnings that qualify the figures (API loaded from source, high load average). */
  warnings: string[]
  /** Share of all cores other processes used while the suite ran (0..1), when known. */
  noise?: number
}

/** Renders a table as aligned plain text for the console. */
export function tableToText(table: TableBlock): string {
  const widths = table.headers.map((h, i) => Math.max(h.length, ...table.rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')
  const out = [`  ${table.title}`, `  ${line(table.headers)}`, `  ${widths.map((w) => '-'.repeat(w)).join('  ')}`]
  for (const row of table.rows) out.push(`  ${line(row)}`)
  if (table.note) out.push(`  (${table.note})`)
  return out.join('\n')
}

/** Renders a table as GitHub markdown (first column left-aligned, the others right-aligned). */
export function tableToMarkdown(table: TableBlock): string {
  const escape = (cell: string) => cell.replaceAll('|', '\\|')
  const out = [
    `#### ${table.title}`,
    '',
    `| ${table.headers.map(escape).join(' | ')} |`,
    `| ${table.headers.map((_, i) => (i === 0 ? ':---' : '---:')).join(' | ')} |`,
    ...table.rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ]
  if (table.note) out.push('', table.note)
  return out.join('\n')
}

/** One console line per target. */
export function targetToText(target: Target): string {
  return `  ${target.pass ? 'PASS' : 'FAIL'}  ${target.name}: ${target.actual} (target ${target.expected})`
}

/** Renders a whole report as the markdown body of its section in docs/benchmarks.md. */
export function reportToMarkdown(report: SuiteReport, command: string, date: Date): string {
  const out = [`### \`${report.suite}\` — ${report.title}`, '']
  out.push(`Run ${date.toISOString().slice(0, 16).replace('T', ' ')} UTC with \`${command}\`.`, '')
  if (report.skipped) {
    out.push(`Not run: ${report.skipped}`)
    return out.join('\n')
  }
  for (const line of report.environment) out.push(`- ${line}`)
  out.push('')
  for (const warning of report.warnings) out.push(`> **Note:** ${warning}`, '')
  for (const block of report.blocks) {
    out.push(block.kind === 'table' ? tableToMarkdown(block) : block.text, '')
  }
  if (report.targets.length > 0) {
    out.push('#### Targets', '', '| target | measured | required | result |', '| :--- | ---: | ---: | :---: |')
    for (const t of report.targets)
      out.push(`| ${t.name} | ${t.actual} | ${t.expected} | ${t.pass ? 'PASS' : '**FAIL**'} |`)
    out.push('')
  }
  return out.join('\n').trimEnd()
}

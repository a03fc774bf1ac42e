/** One sample of a metric family: `metricName` for a histogram's `_bucket`, `_sum` and `_count` lines. */
export interface Sample {
  metricName?: string
  labels: Record<string, string>
  value: number
}

/** A metric family, the shape both the text format and prom-client's `registerMetric` work with. */
export interface Family {
  name: string
  help: string
  type: 'counter' | 'gauge' | 'histogram'
  samples: Sample[]
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g

/** Parses text exposition 0.0.4 as `monitor.toPrometheus()` writes it (HELP, TYPE, then the family's samples). */
export function parseExposition(text: string): Family[] {
  const families: Family[] = []
  let current: Family | undefined
  for (const line of text.split('\n')) {
    if (line.startsWith('# HELP ')) {
      const [name = '', ...help] = line.slice(7).split(' ')
      current = { name, help: unescapeHelp(help.join(' ')), type: 'gauge', samples: [] }
      families.push(current)
    } else if (line.startsWith('# TYPE ')) {
      const [, type] = line.slice(7).split(' ')
      if (current !== undefined) current.type = type === 'counter' || type === 'histogram' ? type : 'gauge'
    } else if (line !== '' && !line.startsWith('#') && current !== undefined) {
      const m = SAMPLE.exec(line)
      if (m === null) continue
      const labels: Record<string, string> = {}
      for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1] as string] = unescapeLabel(l[2] as string)
      const sample: Sample = { labels, value: parseValue(m[3] as string) }
      if (m[1] !== current.name) sample.metricName = m[1]
      current.samples.push(sample)
    }
  }
  return families
}

/** Writes families as text exposition 0.0.4, each family's samples together. */
export function formatExposition(families: readonly Family[]): string {
  const lines: string[] = []
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${f.name} ${f.type}`)
    for (const s of f.samples) {
      const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`)
      lines.push(`${s.metricName ?? f.name}${labels.length > 0 ? `{${labels.join(',')}}` : ''} ${formatValue(s.value)}`)
    }
  }
  return lines.length === 0 ? '' : lines.join('\n') + '\n'
}

/** Merges families of the same name (several monitors), keeping the first HELP and TYPE. */
export function mergeFamilies(groups: readonly Family[][]): Family[] {
  const byName = new Map<string, Family>()
  for (const group of groups)
    for (const f of group) {
      const known = byName.get(f.name)
      if (known === undefined) byName.set(f.name, { ...f, samples: [...f.samples] })
      else known.samples.push(...f.samples)
    }
  return [...byName.values()]
}

function escapeLabel(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))
}

function unescapeLabel(value: string): string {
  return value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
}

function unescapeHelp(value: string): string {
  return value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
}

function parseValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY
  if (text === '-Inf') return Number.NEGATIVE_INFINITY
  return Number(text)
}

function formatValue(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf'
  if (value === Number.NEGATIVE_INFINITY) return '-Inf'
  return Number.isNaN(value) ? 'NaN' : String(value)
}

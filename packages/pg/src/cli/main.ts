import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import pg from 'pg'
import type { Severity } from '../health/findings.js'
import { failsAt, gatherReport } from './gather.js'
import { renderHtml } from './html.js'
import { renderText } from './text.js'

const USAGE = `Usage: perf-pg report [DATABASE_URL] [options]

Prints a report of a PostgreSQL database: health findings, top statements,
blocking sessions, index advice and connection headroom.

  DATABASE_URL          postgresql://user@host:5432/db (default: $DATABASE_URL)
  --json                print the report as JSON
  --html FILE           also write a self-contained HTML report to FILE
  --fail-on LEVEL       exit 1 when a finding is at or above LEVEL (info, warning, critical)
  --advise-top N        check the N costliest statements for index advice (default 5)
  -h, --help            show this help
`

/** Where the CLI writes; injectable for tests. */
export interface CliIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
  env: Record<string, string | undefined>
}

/**
 * Runs the CLI and resolves its exit code: 0, 1 when a finding reaches `--fail-on`, 2 on a usage
 * or connection error.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        json: { type: 'boolean' },
        html: { type: 'string' },
        'fail-on': { type: 'string' },
        'advise-top': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (error) {
    io.stderr(`${(error as Error).message}\n\n${USAGE}`)
    return 2
  }
  const { values, positionals } = parsed
  if (values.help || positionals[0] !== 'report') {
    ;(values.help ? io.stdout : io.stderr)(USAGE)
    return values.help ? 0 : 2
  }
  const failOn = values['fail-on'] as Severity | undefined
  if (failOn !== undefined && !['info', 'warning', 'critical'].includes(failOn)) {
    io.stderr(`--fail-on must be info, warning or critical, got ${failOn}\n`)
    return 2
  }
  const adviseTop = values['advise-top'] === undefined ? 5 : Number(values['advise-top'])
  if (!Number.isInteger(adviseTop) || adviseTop < 0) {
    io.stderr(`--advise-top must be an integer >= 0\n`)
    return 2
  }
  const url = positionals[1] ?? io.env.DATABASE_URL
  if (!url) {
    io.stderr(`no database: pass DATABASE_URL as an argument or set it in the environment\n\n${USAGE}`)
    return 2
  }
  const pool = new pg.Pool({ connectionString: url, max: 1, application_name: 'perf-pg report' })
  try {
    const report = await gatherReport(pool, { adviseTop })
    io.stdout(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderText(report))
    if (values.html) writeFileSync(values.html, renderHtml(report))
    return failOn !== undefined && failsAt(report.findings, failOn) ? 1 : 0
  } catch (error) {
    io.stderr(`perf-pg: ${(error as Error).message}\n`)
    return 2
  } finally {
    await pool.end().catch(() => undefined)
  }
}

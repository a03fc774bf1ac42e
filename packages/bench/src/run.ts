/**
 * Benchmark runner: `pnpm --filter @perf/bench bench [suite ...] [--quick] [--no-write]`.
 * Runs each suite in its own child process, prints its tables as it goes, then replaces the
 * suite's marked section of docs/benchmarks.md and prints every target's verdict.
 */
import { fork } from 'node:child_process'
import { join } from 'node:path'
import { parseCli, type CliOptions } from './harness/cli.js'
import { BENCH_DIR, REPO_DIR } from './harness/env.js'
import { reportToMarkdown, targetToText, type SuiteReport } from './harness/report.js'
import { writeSection } from './harness/writer.js'
import { SUITE_NAMES } from './suites/index.js'

const DOC = join(REPO_DIR, 'docs', 'benchmarks.md')

function runChild(suite: string, cli: CliOptions): Promise<SuiteReport> {
  const execArgv = process.execArgv.includes('--expose-gc')
    ? [...process.execArgv]
    : [...process.execArgv, '--expose-gc']
  if (cli.cpuProfDir !== undefined) execArgv.push('--cpu-prof', `--cpu-prof-dir=${cli.cpuProfDir}`)
  const child = fork(
    join(BENCH_DIR, 'src', 'run-suite.ts'),
    [suite, JSON.stringify({ quick: cli.quick, measure: cli.measure })],
    {
      execArgv,
      stdio: 'inherit',
    },
  )
  return new Promise((resolve, reject) => {
    let report: SuiteReport | undefined
    child.on('message', (message) => {
      report = message as SuiteReport
    })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      if (report && code === 0) resolve(report)
      else reject(new Error(`[bench] suite "${suite}" exited with ${signal ?? `code ${code}`}`))
    })
  })
}

async function main(): Promise<number> {
  let cli: CliOptions
  try {
    cli = parseCli(process.argv.slice(2), SUITE_NAMES)
  } catch (error) {
    console.error((error as Error).message)
    return 2
  }
  const command = ['pnpm --filter @perf/bench bench', ...cli.argv].join(' ')
  const failures: string[] = []
  const reports: SuiteReport[] = []
  let written = 0
  for (const suite of cli.suites) {
    console.log(`\n=== ${suite} ===`)
    try {
      const report = await runChild(suite, cli)
      reports.push(report)
      for (const line of report.environment) console.log(`  ${line}`)
      // A skipped suite (service down, API missing) keeps the figures of its last real run, and
      // so does one that ran while the machine was busier than --max-noise allows.
      const noisy = cli.maxNoise !== undefined && (report.noise ?? 0) > cli.maxNoise
      if (cli.write && !report.skipped && !noisy) {
        writeSection(DOC, suite, reportToMarkdown(report, command, new Date()))
        written++
      } else if (cli.write) {
        const why = report.skipped
          ? 'skipped'
          : `other processes used ${Math.round((report.noise ?? 0) * 100)} % of the CPU`
        console.log(`  (${why}: section "${suite}" of docs/benchmarks.md left as it was)`)
        if (noisy) failures.push(`${suite}: too noisy to write (${why}); run it again when the machine is quieter`)
      }
    } catch (error) {
      failures.push((error as Error).message)
      console.error((error as Error).message)
    }
  }
  console.log('\n=== summary ===')
  for (const report of reports) {
    if (report.skipped) console.log(`${report.suite}: skipped (${report.skipped})`)
    else if (report.targets.length === 0) console.log(`${report.suite}: ran (no targets)`)
    else {
      const note = (kind: string) => (cli.quick && kind === 'speed' ? '  [quick mode: indicative only]' : '')
      console.log(`${report.suite}:\n${report.targets.map((t) => targetToText(t) + note(t.kind)).join('\n')}`)
    }
    for (const t of report.targets) {
      if (!t.pass && t.kind === 'exact') failures.push(`${report.suite}: ${t.name} is ${t.actual}, needs ${t.expected}`)
    }
  }
  if (cli.write) console.log(`\nwrote ${written} section(s) of ${DOC}`)
  else console.log(`\n${DOC} not updated (${cli.quick ? 'quick mode' : '--no-write'})`)
  if (failures.length > 0) {
    console.error(`\n${failures.length} failure(s):\n- ${failures.join('\n- ')}`)
    return 1
  }
  return 0
}

main().then((code) => process.exit(code))

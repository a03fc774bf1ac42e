import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
/** packages/bench */
export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
/** The monorepo root. */
export const REPO_DIR = join(BENCH_DIR, '..', '..')

/**
 * The installed version of `name`, read from its package.json; `from` resolves it as that
 * package sees it (a dependency of a dependency, like cache-manager's keyv). Some packages keep
 * package.json out of their `exports` map, so when `require('<name>/package.json')` is refused we
 * walk up from the resolved entry point instead.
 */
export function packageVersion(name: string, from?: string): string {
  let req = require
  try {
    if (from !== undefined) req = createRequire(require.resolve(from))
    return (req(`${name}/package.json`) as { version: string }).version
  } catch {
    try {
      let dir = dirname(req.resolve(name))
      for (let i = 0; i < 6; i++) {
        try {
          const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string }
          if (pkg.name === name && pkg.version) return pkg.version
        } catch {
          // no package.json at this level; keep walking up
        }
        dir = dirname(dir)
      }
    } catch {
      // not resolvable at all
    }
    return 'not installed'
  }
}

/** `abc1234` plus `+dirty` when packages/ has uncommitted changes; read-only git calls. */
function workspaceRevision(): string {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', REPO_DIR, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    const head = git('rev-parse', '--short', 'HEAD')
    return git('status', '--porcelain', '--', 'packages') === '' ? head : `${head}+dirty`
  } catch {
    return 'unknown revision'
  }
}

/**
 * `lru-cache 11.5.3`; workspace packages (`@perf/*`) also get the git revision. `parent>name`
 * names a dependency of a dependency: `cache-manager>keyv` → `keyv 5.6.0 (via cache-manager)`.
 */
export function describeLibrary(spec: string): string {
  const [from, name] = spec.includes('>') ? (spec.split('>') as [string, string]) : [undefined, spec]
  const version = packageVersion(name, from)
  if (from !== undefined) return `${name} ${version} (via ${from})`
  return name.startsWith('@perf/') ? `${name} ${version} (workspace @ ${workspaceRevision()})` : `${name} ${version}`
}

/** One-line load average, to judge how quiet the shared machine was. */
export function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ')
}

/** Machine and runtime lines printed above every suite. */
export function describeMachine(): string[] {
  const cpus = os.cpus()
  const model = cpus[0]?.model.trim().replace(/\s+/g, ' ') ?? 'unknown CPU'
  return [
    `Node ${process.version} (V8 ${process.versions.v8}) on ${os.platform()} ${os.arch()}`,
    `CPU: ${model}, ${cpus.length} cores (os.availableParallelism() = ${os.availableParallelism()}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM`,
  ]
}

/** Busy and total CPU jiffies of the whole machine, from /proc/stat (Linux); undefined elsewhere. */
function machineJiffies(): { busy: number; total: number } | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]?.trim().split(/\s+/).slice(1).map(Number) ?? []
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields
    const busy = user + nice + system + irq + softirq + steal
    return { busy, total: busy + idle + iowait }
  } catch {
    return undefined
  }
}

/** CPU jiffies of this process's finished children (cutime + cstime in /proc/self/stat); 0 elsewhere. */
function childJiffies(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8')
    // Fields after the parenthesised command name start at field 3; cutime and cstime are 16 and 17.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(rest[13]) + Number(rest[14])
  } catch {
    return 0
  }
}

/** What {@link startCpuProbe} reports. */
export interface CpuReading {
  /** Share of all cores used by other processes (0..1); undefined without /proc/stat. */
  others: number | undefined
  /** A line for the report. */
  line: string
}

/**
 * Starts measuring how busy the machine is apart from this process. The load average lags by a
 * minute and counts this process too; this does not, so it says how much the figures were
 * disturbed. Finished child processes (the memory case) count as this process.
 */
export function startCpuProbe(): () => CpuReading {
  const start = machineJiffies()
  const children = childJiffies()
  const own = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  return () => {
    const end = machineJiffies()
    if (!start || !end || end.total === start.total)
      return { others: undefined, line: 'CPU used by other processes: unknown (no /proc/stat)' }
    const cores = os.cpus().length
    const machine = (end.busy - start.busy) / (end.total - start.total) // fraction of all cores
    const wallUs = Number(process.hrtime.bigint() - t0) / 1000
    const used = process.cpuUsage(own)
    const childShare = (childJiffies() - children) / (end.total - start.total)
    const self = (used.user + used.system) / (wallUs * cores) + childShare
    const others = Math.max(0, machine - self)
    return {
      others,
      line: `CPU used by other processes during the suite: ${(others * 100).toFixed(0)} % of ${cores} cores (this process: ${(self * 100).toFixed(0)} %)`,
    }
  }
}

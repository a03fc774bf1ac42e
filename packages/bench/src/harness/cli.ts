import type { MeasureOptions } from './measure.js'

/** Parsed command line of `pnpm --filter @perf/bench bench [suite ...] [flags]`. */
export interface CliOptions {
  suites: string[]
  quick: boolean
  /** Whether docs/benchmarks.md is updated. Quick runs never write unless `--write` is given. */
  write: boolean
  measure: MeasureOptions
  /** Don't write a suite whose run saw other processes use more than this share of the cores (0..1). */
  maxNoise: number | undefined
  /** Directory for V8 CPU profiles of each suite's process (`--cpu-prof[=dir]`), if profiling. */
  cpuProfDir: string | undefined
  /** The flags as given, to rebuild the exact command in the docs. */
  argv: string[]
}

export const USAGE = `usage: pnpm --filter @perf/bench bench [suite ...] [--quick] [--no-write] [--write] [--rounds=N] [--round-ms=MS]

  suite        one or more of the suites listed below; all when omitted
  --quick      2 short rounds and smaller data sets (smoke test, figures not representative;
               implies --no-write unless --write is given)
  --no-write   print only; do not update docs/benchmarks.md
  --rounds=N   measured rounds per case (default 7, quick 2)
  --round-ms=MS  length of one round (default 400, quick 40)
  --max-noise=PCT  on a shared machine: leave a suite's docs section as it was when other
               processes used more than PCT % of the cores while it ran
  --cpu-prof[=DIR]  write a V8 CPU profile of each suite's process to DIR (default ./profiles);
               open it in Chrome DevTools or speedscope to see where the time goes`

function positiveInt(flag: string, value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new Error(`[bench] ${flag} needs a positive integer, got "${value}"`)
  return n
}

/** Parses argv (without node and script); throws with the usage text on unknown flags. */
export function parseCli(argv: readonly string[], known: readonly string[]): CliOptions {
  const suites: string[] = []
  let quick = false
  let write: boolean | undefined
  let rounds: number | undefined
  let roundMs: number | undefined
  let cpuProfDir: string | undefined
  let maxNoise: number | undefined
  for (const arg of argv) {
    if (arg === '--quick') quick = true
    else if (arg === '--no-write') write = false
    else if (arg === '--write') write = true
    else if (arg.startsWith('--rounds=')) rounds = positiveInt('--rounds', arg.slice(9))
    else if (arg.startsWith('--round-ms=')) roundMs = positiveInt('--round-ms', arg.slice(11))
    else if (arg.startsWith('--max-noise=')) maxNoise = positiveInt('--max-noise', arg.slice(12)) / 100
    else if (arg === '--cpu-prof') cpuProfDir = 'profiles'
    else if (arg.startsWith('--cpu-prof=')) cpuProfDir = arg.slice(11)
    else if (arg === '--help' || arg === '-h') throw new Error(`${USAGE}\n\nsuites: ${known.join(', ')}`)
    else if (arg.startsWith('-')) throw new Error(`[bench] unknown flag ${arg}\n${USAGE}`)
    else if (!known.includes(arg)) throw new Error(`[bench] unknown suite "${arg}"; known: ${known.join(', ')}`)
    else if (!suites.includes(arg)) suites.push(arg)
  }
  return {
    suites: suites.length > 0 ? suites : [...known],
    quick,
    write: write ?? !quick,
    measure: {
      rounds: rounds ?? (quick ? 2 : 7),
      warmupRounds: 1,
      roundMs: roundMs ?? (quick ? 40 : 400),
      latencySamples: quick ? 2_000 : 30_000,
    },
    cpuProfDir,
    maxNoise,
    argv: [...argv],
  }
}

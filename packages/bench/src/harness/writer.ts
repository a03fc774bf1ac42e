import { existsSync, readFileSync, writeFileSync } from 'node:fs'

/** Start and end markers of a suite's section in docs/benchmarks.md. */
export function markers(suite: string): { start: string; end: string } {
  return { start: `<!-- bench:${suite}:start -->`, end: `<!-- bench:${suite}:end -->` }
}

const HEADER = `# Benchmarks

Figures written by \`pnpm --filter @perf/bench bench\`. Each suite owns one marked section below and
replaces only that section, so suites can be re-run independently.
`

/**
 * Replaces the marked section of `suite` in the markdown file at `path` with `body` (markers
 * kept). A missing file is created with a short header; a missing section is appended. Text
 * outside the markers is never touched.
 */
export function writeSection(path: string, suite: string, body: string): void {
  const { start, end } = markers(suite)
  const doc = existsSync(path) ? readFileSync(path, 'utf8') : HEADER
  const section = `${start}\n${body.trim()}\n${end}`
  const from = doc.indexOf(start)
  const to = doc.indexOf(end)
  if ((from === -1) !== (to === -1) || to < from) {
    throw new Error(`[bench] ${path}: markers of "${suite}" are unbalanced; fix them by hand (${start} … ${end})`)
  }
  let next: string
  if (from === -1) {
    next = `${doc.trimEnd()}\n\n${section}\n`
  } else {
    next = doc.slice(0, from) + section + doc.slice(to + end.length)
  }
  writeFileSync(path, next)
}

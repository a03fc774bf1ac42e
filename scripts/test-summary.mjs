#!/usr/bin/env node
// Prints one closing line for the whole workspace's test run ("N passed, N failed, N skipped"),
// summed over the JSON reports vitest wrote in each package. Exits 1 when a report has failures
// or when no test ran at all, so a run that silently tested nothing is red.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
let passed = 0
let failed = 0
let skipped = 0
const seen = []
for (const group of ['packages', 'examples']) {
  const dir = join(root, group)
  if (!existsSync(dir)) continue
  for (const name of readdirSync(dir)) {
    const file = join(dir, name, '.vitest-report.json')
    if (!existsSync(file)) continue
    const report = JSON.parse(readFileSync(file, 'utf8'))
    passed += report.numPassedTests ?? 0
    failed += report.numFailedTests ?? 0
    skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0)
    seen.push(`${group}/${name}: ${report.numPassedTests} passed, ${report.numFailedTests} failed`)
  }
}
for (const line of seen) console.log(`  ${line}`)
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`)
process.exit(failed > 0 || passed === 0 ? 1 : 0)

#!/usr/bin/env node
// Regenerates docs/errors.md from ERROR_CODES in @perf/core's built output (run `pnpm build` first).
// A core test fails when the doc and the table disagree, so the doc cannot drift.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { ERROR_CODES } = require('../packages/core/dist/index.cjs')
const target = new URL('../docs/errors.md', import.meta.url)
const MARKER = 'Generated from `ERROR_CODES` in `packages/core/src/errors.ts` by `node scripts/gen-error-docs.mjs`.'
// What follows the marker line is written by hand (other packages' error classes): kept as it is.
const previous = existsSync(target) ? readFileSync(target, 'utf8') : ''
const tail = previous.includes(MARKER) ? previous.slice(previous.indexOf(MARKER) + MARKER.length + 1) : ''
const rows = Object.entries(ERROR_CODES).map(([code, text]) => `| \`${code}\` | ${text} |`)
const doc = `# Error codes

Every error @perf throws is a \`PerfError\` (or a subclass: \`DeadlockError\`, \`LockError\`,
\`TimeoutError\`, \`BrokenCircuitError\`) with a stable \`code\`. Match on the code with
\`isPerfError(err, 'CODE')\`: it checks a global brand, so it also works when two copies of
\`@perf/core\` are loaded. \`err.context\` holds the facts (option name, key, numbers) and
\`err.cause\` the underlying error.

| code | meaning |
| --- | --- |
${rows.join('\n')}

${MARKER}
${tail}`
writeFileSync(target, doc)
console.log(`docs/errors.md: ${rows.length} codes`)

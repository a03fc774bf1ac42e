import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ERROR_CODES } from './errors.js'

describe('docs/errors.md', () => {
  it('documents every error code with its meaning (regenerate: node scripts/gen-error-docs.mjs)', () => {
    const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8')
    for (const [code, meaning] of Object.entries(ERROR_CODES)) {
      expect(doc, code).toContain(`| \`${code}\` | ${meaning} |`)
    }
  })
})

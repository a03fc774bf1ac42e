import { describe, expect, it } from 'vitest'
import { pgArrayLiteral } from './key-filter.js'

describe('pgArrayLiteral()', () => {
  it('quotes every text key, escapes backslash and double quote in it, and doubles single quotes for SQL', () => {
    expect(pgArrayLiteral([1, 2n, 'NULL', 'a,b', 'x"y', 'c\\d', "it's", '', '{}'])).toBe(
      `'{1,2,"NULL","a,b","x\\"y","c\\\\d","it''s","","{}"}'`,
    )
  })
})

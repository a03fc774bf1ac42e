import { describe, expect, it } from 'vitest'
import { thrown } from '../../__tests__/errors.js'
import { isPerfError } from '../../errors.js'
import { assertKey, assertKeyList, assertTagList, isWellFormed, loneSurrogateAt } from './keys.js'

const revoked = (): unknown => {
  const { proxy, revoke } = Proxy.revocable([], {})
  revoke()
  return proxy
}

/** @see issue #9, item 7: 'user:\uD800' and 'user:\uDBFF' are one key in Redis. */
describe('assertKey', () => {
  it('assertKey() returns well-formed keys, astral characters included', () => {
    for (const key of ['k', 'user:42', 'é✓', 'emoji:😀', '\uD83D\uDE00', 'x'.repeat(10)])
      expect(assertKey(key, 10)).toBe(key)
  })

  it('assertKey() throws INVALID_KEY for non-strings and empty strings, naming what was passed', () => {
    const cases: [unknown, string][] = [
      ['', 'got an empty string'],
      [undefined, 'got undefined'],
      [null, 'got null'],
      [42, 'got 42'],
      [42n, 'got 42n (a BigInt)'],
      [Symbol('k'), 'got Symbol(k) (a symbol)'],
      [['a'], 'got an array'],
      [{ toString: () => 'k' }, 'got an object'],
      [revoked(), 'got an object that cannot be inspected'],
    ]
    for (const [bad, problem] of cases) {
      const error = thrown(() => assertKey(bad, 100))
      expect(isPerfError(error, 'INVALID_KEY'), problem).toBe(true)
      expect(error.message).toBe(`[perf:cache] key must be a non-empty string, ${problem}`)
    }
  })

  it('assertKey() throws INVALID_KEY for lone surrogates, which UTF-8 stores would merge', () => {
    for (const [key, unit, index] of [
      ['user:\uD800', 'D800', 5],
      ['user:\uDBFF', 'DBFF', 5],
      ['\uDC00user', 'DC00', 0],
      ['a\uDE00\uD83D', 'DE00', 1],
      ['ok😀\uD83Dx', 'D83D', 4],
    ] as const) {
      const error = thrown(() => assertKey(key, 100))
      expect(isPerfError(error, 'INVALID_KEY'), key).toBe(true)
      expect(error.message).toContain(`holds a lone surrogate (\\u${unit} at index ${index})`)
      expect(error.message).toContain('different keys would collide')
      expect(error.context.index).toBe(index)
    }
  })

  it('assertKey() throws KEY_TOO_LONG beyond maxKeyLength, in UTF-16 code units', () => {
    const error = thrown(() => assertKey('x'.repeat(11), 10))
    expect(isPerfError(error, 'KEY_TOO_LONG')).toBe(true)
    expect(error.message).toBe('[perf:cache] key is 11 characters, more than maxKeyLength=10')
    expect(
      isPerfError(
        thrown(() => assertKey('😀'.repeat(6), 11)),
        'KEY_TOO_LONG',
      ),
    ).toBe(true)
  })
})

describe('isWellFormed', () => {
  it('the regex fallback agrees with String.prototype.isWellFormed on random surrogate-heavy strings', () => {
    const native = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed
    expect(typeof native).toBe('function')
    const units = [0x61, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xd83d, 0xde00, 0xe000, 0xfffd]
    let seed = 7
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31)
    for (let i = 0; i < 5000; i++) {
      const text = String.fromCharCode(
        ...Array.from({ length: next() % 6 }, () => units[next() % units.length] as number),
      )
      const wellFormed = native!.call(text)
      expect(loneSurrogateAt(text) === -1, JSON.stringify(text)).toBe(wellFormed)
      expect(isWellFormed(text)).toBe(wellFormed)
    }
  })
})

describe('assertKeyList', () => {
  it('assertKeyList() accepts one key or an array of keys and returns a new array', () => {
    expect(assertKeyList('a', 10)).toEqual(['a'])
    const keys = ['a', 'b']
    const out = assertKeyList(keys, 10)
    expect(out).toEqual(['a', 'b'])
    expect(out).not.toBe(keys)
    expect(assertKeyList([], 10)).toEqual([])
  })

  it('assertKeyList() throws INVALID_ARGUMENT for anything but a string or an array, naming what was passed', () => {
    const cases: [unknown, string][] = [
      [undefined, 'got undefined'],
      [null, 'got null'],
      [7, 'got 7'],
      [new Set(['a']), 'got an instance of Set'],
      [{ 0: 'a', length: 1 }, 'got an object'],
      [revoked(), 'got an object that cannot be inspected'],
    ]
    for (const [bad, problem] of cases) {
      const error = thrown(() => assertKeyList(bad, 10))
      expect(isPerfError(error, 'INVALID_ARGUMENT'), problem).toBe(true)
      expect(error.message).toBe(`[perf:cache] keys must be a key or an array of keys, ${problem}`)
    }
  })

  it('assertKeyList() checks every element like assertKey(), naming its index', () => {
    const empty = thrown(() => assertKeyList(['a', ''], 10))
    expect(isPerfError(empty, 'INVALID_KEY')).toBe(true)
    expect(empty.message).toBe('[perf:cache] keys[1] must be a non-empty string, got an empty string')
    expect(thrown(() => assertKeyList(['a', 1], 10)).message).toContain('keys[1] must be a non-empty string, got 1')
    expect(
      isPerfError(
        thrown(() => assertKeyList(['ok', 'user:\uD800'], 10)),
        'INVALID_KEY',
      ),
    ).toBe(true)
    const long = thrown(() => assertKeyList(['ok', 'x'.repeat(11)], 10))
    expect(isPerfError(long, 'KEY_TOO_LONG')).toBe(true)
    expect(long.message).toContain('keys[1] is 11 characters')
  })

  it('assertKeyList() throws INVALID_ARGUMENT with cause when reading the array throws', () => {
    const boom = new Error('trap')
    const error = thrown(() =>
      assertKeyList(
        new Proxy(['a'], {
          get: () => {
            throw boom
          },
        }),
        10,
      ),
    )
    expect(isPerfError(error, 'INVALID_ARGUMENT')).toBe(true)
    expect(error.cause).toBe(boom)
  })
})

describe('assertTagList', () => {
  it('assertTagList() accepts one tag or an array of tags and returns a new array', () => {
    expect(assertTagList('users')).toEqual(['users'])
    expect(assertTagList(['users', 'user:1'])).toEqual(['users', 'user:1'])
    expect(assertTagList([])).toEqual([])
  })

  it('assertTagList() throws INVALID_ARGUMENT for non-lists, empty or non-string tags and lone surrogates', () => {
    const cases: [unknown, string][] = [
      [undefined, 'tags must be a tag or an array of tags, got undefined'],
      [new Set(['a']), 'tags must be a tag or an array of tags, got an instance of Set'],
      ['', 'tag must be a non-empty string, got an empty string'],
      [['a', ''], 'tags[1] must be a non-empty string, got an empty string'],
      [[3], 'tags[0] must be a non-empty string, got 3'],
      [['a', null], 'tags[1] must be a non-empty string, got null'],
      [
        ['team:\uDBFF'],
        'tags[0] "team:\\udbff" holds a lone surrogate (\\uDBFF at index 5): UTF-8 stores turn it into U+FFFD, so different tags would collide',
      ],
      ['\uD800', 'tag "\\ud800" holds a lone surrogate'],
    ]
    for (const [bad, problem] of cases) {
      const error = thrown(() => assertTagList(bad))
      expect(isPerfError(error, 'INVALID_ARGUMENT'), problem).toBe(true)
      expect(error.message).toContain(`[perf:cache] ${problem}`)
    }
  })
})

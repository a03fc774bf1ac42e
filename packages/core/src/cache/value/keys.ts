import { PerfError, type PerfErrorCode } from '../../errors.js'
import { describeValue } from '../../util/validate.js'

/**
 * A UTF-16 surrogate with no partner: a high one not followed by a low one, or a low one not
 * preceded by a high one. (No `u` flag: the pattern must see code units, not code points.)
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Index of the first lone surrogate in `text`, or -1 when it is well-formed Unicode. */
export function loneSurrogateAt(text: string): number {
  const match = LONE_SURROGATE.exec(text)
  return match === null ? -1 : match.index
}

// String.prototype.isWellFormed is native from Node 20 (ES2024); the lib target here is ES2023.
const nativeIsWellFormed = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed

/** True when `text` has no lone surrogate, i.e. it survives a round trip through UTF-8. */
export const isWellFormed: (text: string) => boolean =
  typeof nativeIsWellFormed === 'function'
    ? (text) => (text as unknown as { isWellFormed(): boolean }).isWellFormed()
    : (text) => loneSurrogateAt(text) === -1

/**
 * Checks one cache key: a non-empty, well-formed string of at most `maxKeyLength` UTF-16 code
 * units. Lone surrogates are refused because UTF-8 stores (Redis, most databases) replace each
 * with U+FFFD: `'user:\uD800'` and `'user:\uDBFF'` would be one entry.
 *
 * @param key the key as the caller passed it
 * @param maxKeyLength the longest key allowed, in UTF-16 code units (`key.length`)
 * @returns `key`
 * @throws PerfError INVALID_KEY when `key` is not a string, is empty or holds a lone surrogate
 * @throws PerfError KEY_TOO_LONG when `key` is longer than `maxKeyLength`
 * @example
 * const full = prefix + assertKey(key, maxKeyLength)
 */
export function assertKey(key: unknown, maxKeyLength: number): string {
  return checkKey(key, maxKeyLength, 'key')
}

/**
 * Checks the keys of a bulk call (`getMany`, `deleteMany`): one key or an array of keys, each
 * as {@link assertKey} requires.
 *
 * @returns a new array of the keys (a single key becomes a one-element array)
 * @throws PerfError INVALID_ARGUMENT when `keys` is neither a string nor an array, naming what it is
 * @throws PerfError INVALID_KEY or KEY_TOO_LONG for a bad element, naming its index
 */
export function assertKeyList(keys: unknown, maxKeyLength: number): string[] {
  if (typeof keys === 'string') return [checkKey(keys, maxKeyLength, 'key')]
  return elements(keys, 'keys', 'a key or an array of keys').map((key, i) => checkKey(key, maxKeyLength, `keys[${i}]`))
}

/**
 * Checks the tags of a write or an invalidation: one tag or an array of tags, each a non-empty,
 * well-formed string (tags are stored as keys too, so lone surrogates would collide the same way).
 *
 * @returns a new array of the tags (a single tag becomes a one-element array)
 * @throws PerfError INVALID_ARGUMENT when `tags` is neither a string nor an array, or a tag is not a non-empty, well-formed string
 */
export function assertTagList(tags: unknown): string[] {
  if (typeof tags === 'string') return [checkString(tags, 'tag', 'INVALID_ARGUMENT', 'tags')]
  return elements(tags, 'tags', 'a tag or an array of tags').map((tag, i) =>
    checkString(tag, `tags[${i}]`, 'INVALID_ARGUMENT', 'tags'),
  )
}

function checkKey(key: unknown, maxKeyLength: number, label: string): string {
  if (typeof key === 'string' && key.length > maxKeyLength) {
    throw new PerfError(
      'KEY_TOO_LONG',
      `[perf:cache] ${label} is ${key.length} characters, more than maxKeyLength=${maxKeyLength}`,
      {
        context: { length: key.length, maxKeyLength },
      },
    )
  }
  return checkString(key, label, 'INVALID_KEY', 'keys')
}

function checkString(value: unknown, label: string, code: PerfErrorCode, plural: 'keys' | 'tags'): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new PerfError(
      code,
      `[perf:cache] ${label} must be a non-empty string, got ${value === '' ? 'an empty string' : describeValue(value)}`,
      {
        context: { [label]: value },
      },
    )
  }
  if (!isWellFormed(value)) {
    const index = loneSurrogateAt(value)
    const unit = value.charCodeAt(index).toString(16).toUpperCase()
    throw new PerfError(
      code,
      `[perf:cache] ${label} ${describeValue(value)} holds a lone surrogate (\\u${unit} at index ${index}): UTF-8 stores turn it into U+FFFD, so different ${plural} would collide`,
      { context: { [label]: value, index } },
    )
  }
  return value
}

/** A copy of the array `list`; INVALID_ARGUMENT for anything else, or when reading it throws (a proxy). */
function elements(list: unknown, name: string, expected: string): unknown[] {
  let isArray: boolean
  try {
    isArray = Array.isArray(list)
  } catch {
    isArray = false // a revoked proxy
  }
  if (!isArray) {
    throw new PerfError('INVALID_ARGUMENT', `[perf:cache] ${name} must be ${expected}, got ${describeValue(list)}`, {
      context: { [name]: list },
    })
  }
  try {
    return Array.from(list as unknown[])
  } catch (error) {
    throw new PerfError('INVALID_ARGUMENT', `[perf:cache] ${name} could not be read (a proxy trap or getter threw)`, {
      cause: error,
      context: { [name]: list },
    })
  }
}

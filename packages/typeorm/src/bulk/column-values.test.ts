import { describe, expect, it } from 'vitest'
import { converterOf } from './column-values.js'

/** A driver that records what it was asked and marks its output. */
function recordingDriver() {
  const calls: Array<{ value: unknown; transformer: unknown; type: unknown }> = []
  return {
    calls,
    preparePersistentValue(value: unknown, column: never) {
      const c = column as { transformer?: unknown; type: unknown }
      calls.push({ value, transformer: c.transformer, type: c.type })
      return `prepared:${String(value)}`
    },
  }
}

describe('converterOf', () => {
  it('returns values of as-is types (String, int, numeric, uuid, json, jsonb) without calling the driver', () => {
    const driver = recordingDriver()
    for (const type of [String, Number, 'int', 'numeric', 'uuid', 'bigint'])
      expect(converterOf({ type }, driver)('7')).toBe('7')
    const doc = { a: [1] }
    expect(converterOf({ type: 'jsonb' }, driver)(doc)).toBe(doc)
    expect(converterOf({ type: 'json' }, driver)(doc)).toBe(doc)
    expect(driver.calls).toEqual([])
  })

  it('turns a non-array enum value into its string, as the postgres driver does, and leaves enum arrays to the driver', () => {
    const driver = recordingDriver()
    expect(converterOf({ type: 'enum' }, driver)(3)).toBe('3')
    expect(converterOf({ type: 'simple-enum' }, driver)('a')).toBe('a')
    expect(converterOf({ type: 'enum', isArray: true }, driver)(['a'])).toBe('prepared:a')
  })

  it('hands other types (simple-json, Date, timestamptz) to the driver with a view of the column without its transformer', () => {
    const driver = recordingDriver()
    const transformer = { to: (v: unknown) => `t(${String(v)})` }
    expect(converterOf({ type: 'simple-json', transformer }, driver)('x')).toBe('prepared:t(x)')
    expect(driver.calls).toEqual([{ value: 't(x)', transformer: undefined, type: 'simple-json' }])
  })

  it('applies an array of transformers in order, to null too, and skips the driver for a null result', () => {
    const driver = recordingDriver()
    const convert = converterOf(
      {
        type: 'timestamptz',
        transformer: [
          { to: (v: unknown) => (v === null ? null : `${String(v)}1`) },
          { to: (v: unknown) => (v === null ? 'was null' : `${String(v)}2`) },
        ],
      },
      driver,
    )
    expect(convert('v')).toBe('prepared:v12')
    expect(convert(null)).toBe('prepared:was null')
    expect(converterOf({ type: 'timestamptz', transformer: { to: () => null } }, driver)('gone')).toBeNull()
    expect(converterOf({ type: 'timestamptz' }, driver)(null)).toBeNull()
    expect(driver.calls.map((c) => c.value)).toEqual(['v12', 'was null'])
  })
})

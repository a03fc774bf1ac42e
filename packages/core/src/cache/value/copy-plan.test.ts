import { describe, expect, it } from 'vitest'
import { createCodec } from './codec.js'
import { CopyPlanner } from './copy-plan.js'
import { expectTypedErrors, READS } from '../__tests__/hostile-values.js'

const codec = createCodec()
const planner = () => new CopyPlanner((v) => codec.clone(v))

const row = (i: number) => ({
  id: i,
  name: `u${i}`,
  createdAt: new Date(1_700_000_000_000 + i),
  tags: ['a', 'b'],
  meta: null,
  gone: undefined,
})

describe('CopyPlanner', () => {
  it('compile() returns undefined for primitives (nothing to copy)', () => {
    const p = planner()
    for (const v of [1, 'x', null, undefined, true, 10n]) expect(p.compile(v)).toBeUndefined()
  })

  it('a plan copies exactly what the generic clone copies, sharing nothing mutable', () => {
    const p = planner()
    const values: unknown[] = [
      row(1),
      [row(1), row(2)],
      {
        user: row(3),
        posts: [
          { id: 1, at: new Date(0) },
          { id: 2, at: new Date(1), extra: { deep: [1, [2, 3]] } },
        ],
      },
      { map: new Map([['k', { v: 1 }]]), set: new Set([1]), buf: Buffer.from('hi'), big: 5n },
      [1, 'two', null],
      [],
      {},
    ]
    for (const value of values) {
      const copy = (p.compile(value) as (v: unknown) => unknown)(value)
      expect(copy).toEqual(codec.clone(value))
      expect(copy).not.toBe(value)
    }
    const source = { user: row(3), list: [row(4)] }
    const copy = (p.compile(source) as (v: unknown) => typeof source)(source)
    copy.user.tags.push('c')
    copy.user.createdAt.setFullYear(1999)
    copy.list[0]!.name = 'changed'
    expect(source).toEqual({ user: row(3), list: [row(4)] })
  })

  it('rows of one flat shape share one plan; different shapes do not', () => {
    const p = planner()
    const a = p.compile({ id: 1, at: new Date(0) })
    const b = p.compile({ id: 2, at: new Date(5) })
    const c = p.compile({ id: 3, other: new Date(5) })
    expect(a).toBe(b)
    expect(a).not.toBe(c)
  })

  it('an own "__proto__" key falls back to the generic clone and stays an own property', () => {
    const p = planner()
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "ok": {"x": 1}}') as Record<string, unknown>
    const copy = (p.compile(hostile) as (v: unknown) => Record<string, unknown>)(hostile)
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype)
    expect(Object.prototype.hasOwnProperty.call(copy, '__proto__')).toBe(true)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('keeps undefined-valued keys and array holes as the source has them', () => {
    const p = planner()
    const sparse = [1, , 3] // eslint-disable-line no-sparse-arrays
    const value = { a: undefined, list: sparse, when: new Date(0) }
    const copy = (p.compile(value) as (v: unknown) => typeof value)(value)
    expect('a' in copy).toBe(true)
    expect(1 in copy.list).toBe(false)
    expect(copy.list.length).toBe(3)
  })

  it('compile() throws UNSERIALIZABLE_VALUE with cause when reading the value throws (getters, proxy traps, revoked proxies)', () => {
    // Instances and proxies of Map fall back to the generic clone, which reports them when it copies.
    expectTypedErrors((value) => planner().compile(value), READS)
  })
})

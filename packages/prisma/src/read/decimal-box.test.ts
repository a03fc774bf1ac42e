import { createCache } from '@perf/core'
import { Decimal } from '@prisma/client/runtime/client'
import { describe, expect, it } from 'vitest'
import { DecimalBoxes, isDecimalLike } from './decimal-box.js'

/** Decimal as a second copy of @prisma/client would define it: same shape, another class. */
class OtherCopyDecimal {
  readonly d: number[]
  readonly e: number
  readonly s: number
  readonly text: string
  constructor(text: string) {
    const inner = new Decimal(text)
    this.d = inner.d
    this.e = inner.e
    this.s = inner.s
    this.text = inner.toFixed()
  }
  toFixed(): string {
    return this.text
  }
}

describe('DecimalBoxes', () => {
  it('isDecimalLike() goes by shape: another copy of the class counts, plain look-alikes and Dates do not', () => {
    expect(isDecimalLike(new Decimal('1.5'))).toBe(true)
    expect(isDecimalLike(new OtherCopyDecimal('1.5'))).toBe(true)
    expect(isDecimalLike({ d: [1], e: 0, s: 1 })).toBe(false)
    expect(isDecimalLike(new Date())).toBe(false)
  })

  it('box() and unbox() round-trip Decimals through a cache without prismaCodec(), to the last digit', async () => {
    const boxes = new DecimalBoxes()
    const loaded = [
      { id: 1, balance: new Decimal('12345678901234567890.123456789'), nested: { fee: new Decimal('-0.000001') } },
    ]
    const boxed = boxes.box(loaded)
    expect(loaded[0]?.balance).toBeInstanceOf(Decimal)
    const cache = createCache()
    await cache.set('k', boxed)
    const back = boxes.unbox(await cache.get('k')) as typeof loaded
    expect(back).toStrictEqual(loaded)
    expect(back[0]?.balance.toFixed()).toBe('12345678901234567890.123456789')
    expect(boxes.unbox(boxes.box(new Decimal('3.25')))).toStrictEqual(new Decimal('3.25'))
    await cache.close()
  })

  it("rebuilds with the client's own Decimal class when it is another copy than this package's", () => {
    const boxes = new DecimalBoxes()
    const boxed = boxes.box({ sum: { balance: new OtherCopyDecimal('10.50') } })
    const back = boxes.unbox(structuredClone(boxed)) as { sum: { balance: OtherCopyDecimal } }
    expect(back.sum.balance).toBeInstanceOf(OtherCopyDecimal)
    expect(back.sum.balance.toFixed()).toBe('10.5')
  })

  it('unbox() never changes the box: a cache without isolation hands the same object to every hit', () => {
    const boxes = new DecimalBoxes()
    const boxed = boxes.box([{ balance: new Decimal('1.25'), tags: [{ fee: new Decimal('2') }] }])
    const before = structuredClone(boxed)
    const first = boxes.unbox(boxed)
    expect(boxed).toStrictEqual(before)
    expect(boxes.unbox(boxed)).toStrictEqual(first)
  })

  it('leaves values without Decimals untouched (same object)', () => {
    const boxes = new DecimalBoxes()
    const value = { id: 1, at: new Date(0), tags: ['a'] }
    expect(boxes.box(value)).toBe(value)
    expect(boxes.unbox(value)).toBe(value)
  })
})

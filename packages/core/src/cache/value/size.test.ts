import { describe, expect, it } from 'vitest'
import { expectTypedErrors, READS } from '../__tests__/hostile-values.js'
import { estimateSize } from './size.js'

describe('estimateSize', () => {
  it('estimateSize() charges strings 2 bytes per character plus a header', () => {
    expect(estimateSize('')).toBeGreaterThan(0)
    expect(estimateSize('x'.repeat(1000))).toBeGreaterThanOrEqual(2000)
    expect(estimateSize('x'.repeat(2000)) - estimateSize('x'.repeat(1000))).toBe(2000)
  })

  it('estimateSize() charges every primitive at least a slot', () => {
    for (const value of [0, 1.5, true, null, undefined, 10n, Symbol('s')])
      expect(estimateSize(value)).toBeGreaterThanOrEqual(8)
    expect(estimateSize(2n ** 512n)).toBeGreaterThan(estimateSize(1n))
  })

  it('estimateSize() of an object or array is more than the sum of its parts', () => {
    const parts = ['name', 'x'.repeat(100), 42]
    const sum = parts.reduce<number>((total, part) => total + estimateSize(part), 0)
    expect(estimateSize(parts)).toBeGreaterThan(sum)
    expect(estimateSize({ a: 'x'.repeat(100), b: 42 })).toBeGreaterThan(
      estimateSize('x'.repeat(100)) + estimateSize(42),
    )
    expect(estimateSize({ nested: { deeper: { text: 'y'.repeat(500) } } })).toBeGreaterThan(1000)
  })

  it('estimateSize() counts typed array bytes, Map and Set entries, Dates and class instances', () => {
    expect(estimateSize(new Uint8Array(10_000))).toBeGreaterThanOrEqual(10_000)
    expect(estimateSize(Buffer.alloc(5000))).toBeGreaterThanOrEqual(5000)
    expect(estimateSize(new Float64Array(100))).toBeGreaterThanOrEqual(800)
    expect(estimateSize(new ArrayBuffer(3000))).toBeGreaterThanOrEqual(3000)
    expect(estimateSize(new Map([['k', 'v'.repeat(1000)]]))).toBeGreaterThan(2000)
    expect(estimateSize(new Set(['s'.repeat(1000)]))).toBeGreaterThan(2000)
    expect(estimateSize(new Date())).toBeGreaterThan(8)
    class Decimal {
      constructor(readonly digits: number[]) {}
    }
    expect(estimateSize(new Decimal(Array.from({ length: 100 }, (_, i) => i)))).toBeGreaterThan(800)
  })

  it('estimateSize() terminates on cycles and on shared references that double at every level', () => {
    const cyclic: Record<string, unknown> = { text: 'x' }
    cyclic.self = cyclic
    expect(Number.isFinite(estimateSize(cyclic))).toBe(true)
    let shared: unknown = { leaf: 1 }
    for (let i = 0; i < 60; i++) shared = { left: shared, right: shared } // 2^60 paths
    expect(Number.isFinite(estimateSize(shared))).toBe(true)
  })

  it('estimateSize() throws UNSERIALIZABLE_VALUE with cause when reading the value throws (getters, proxy traps, revoked proxies)', () => {
    // Instances are measured by their own keys (toJSON and constructor are never read).
    expectTypedErrors(estimateSize, [...READS, 'a proxy around a Map'])
  })
})

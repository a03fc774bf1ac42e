import { describe, expect, it } from 'vitest'
import { LruMap } from './lru-map.js'
import { RingBuffer } from '../monitor/ring-buffer.js'

describe('LruMap', () => {
  it('set() evicts the least recently used entry at capacity', () => {
    const lru = new LruMap<string, number>(2)
    lru.set('a', 1)
    lru.set('b', 2)
    expect(lru.get('a')).toBe(1) // a is now the most recent
    lru.set('c', 3)
    expect(lru.get('b')).toBeUndefined()
    expect(lru.get('a')).toBe(1)
    expect(lru.get('c')).toBe(3)
    expect(lru.size).toBe(2)
  })

  it('keeps nothing with capacity 0', () => {
    const lru = new LruMap<string, number>(0)
    lru.set('a', 1)
    expect(lru.size).toBe(0)
  })
})

describe('RingBuffer', () => {
  it('push() overwrites the oldest item; toArray() is oldest first', () => {
    const ring = new RingBuffer<number>(3)
    for (let i = 1; i <= 7; i++) ring.push(i)
    expect(ring.toArray()).toEqual([5, 6, 7])
    expect(ring.size).toBe(3)
    ring.clear()
    expect(ring.toArray()).toEqual([])
    ring.push(9)
    expect(ring.toArray()).toEqual([9])
  })

  it('keeps nothing with capacity 0', () => {
    const ring = new RingBuffer<number>(0)
    ring.push(1)
    expect(ring.toArray()).toEqual([])
  })
})

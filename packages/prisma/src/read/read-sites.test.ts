import { describe, expect, it } from 'vitest'
import { readPlan, ReadSites, type ReadPlan } from './read-sites.js'

function memo(key: string): ReadPlan {
  return readPlan('User', 'findUnique', key, [])
}

describe('ReadSites', () => {
  it('get() returns one site per model and operation, with the model defaults only for the operations they list', () => {
    const defaults = new Map([['User', { ttl: 60, operations: new Set(['findMany']) }]])
    const sites = new ReadSites(defaults)
    const site = sites.get('User', 'findMany')
    expect(sites.get('User', 'findMany')).toBe(site)
    expect(site.strategies.resolve(undefined)).toEqual({ ttlMs: 60_000, swrMs: 0, tags: [] })
    expect(sites.get('User', 'findUnique').strategies.resolve(undefined)).toBeUndefined()
  })

  it('remember() forgets the oldest key beyond max, from the equality index too', () => {
    const sites = new ReadSites(new Map(), 2)
    const users = sites.get('User', 'findUnique')
    const posts = sites.get('Post', 'findUnique')
    const one = sites.remember(users, 'u1', memo('k1'))
    users.indexEquality({ where: { id: 1 } }, one)
    sites.remember(posts, 'p1', memo('k2'))
    expect(users.findEquality({ where: { id: 1 } })).toBe(one)
    sites.remember(posts, 'p2', memo('k3'))
    expect(users.memos.has('u1')).toBe(false)
    expect(users.findEquality({ where: { id: 1 } })).toBeUndefined()
    expect([...posts.memos.keys()]).toEqual(['p1', 'p2'])
  })

  it('findEquality() finds only { where: { field: number | string } } args, by field and value', () => {
    const site = new ReadSites(new Map()).get('User', 'findUnique')
    const byId = memo('id')
    const byEmail = memo('email')
    site.indexEquality({ where: { id: 1 } }, byId)
    site.indexEquality({ where: { email: 'a@b.c' } }, byEmail)
    expect(site.findEquality({ where: { id: 1 } })).toBe(byId)
    expect(site.findEquality({ where: { email: 'a@b.c' } })).toBe(byEmail)
    expect(site.findEquality({ where: { id: '1' } })).toBeUndefined()
    expect(site.findEquality({ where: { id: 2 } })).toBeUndefined()
    expect(site.findEquality({ where: { id: 1 }, select: { id: true } })).toBeUndefined()
    expect(site.findEquality({ where: { id: 1, email: 'a@b.c' } })).toBeUndefined()
    expect(site.findEquality({ where: Object.assign(Object.create(null), { id: 1 }) })).toBeUndefined()
    expect(site.findEquality({ where: { id: new Date(1) } })).toBeUndefined()
    expect(site.findEquality(undefined)).toBeUndefined()
  })

  it('indexEquality() ignores args of another shape', () => {
    const site = new ReadSites(new Map()).get('User', 'findMany')
    const m = memo('k')
    site.indexEquality({ where: { id: { in: [1, 2] } } }, m)
    site.indexEquality({ where: { id: 1 }, take: 1 }, m)
    expect(m.field).toBeUndefined()
    expect(site.byEquality.size).toBe(0)
  })
})

import { describe, expect, it } from 'vitest'
import { blogDataModel, blogSchema } from '../../test/fixtures/blog-model.js'
import { ModelGraph } from './model-graph.js'
import { canonicalValue, deriveTags, planRead, writeTags } from './row-tags.js'

const readTags = (g: ModelGraph, model: string, args: unknown) => planRead(g, model, args).tags
import { writeEffect } from './touched-models.js'

const graph = new ModelGraph(blogDataModel, blogSchema)

describe('canonicalValue()', () => {
  it('gives where arguments and returned rows the same text, and refuses what it cannot compare', () => {
    expect(canonicalValue('Int', 5)).toBe('5')
    expect(canonicalValue('BigInt', 5)).toBe(canonicalValue('BigInt', 5n))
    expect(canonicalValue('String', 'a:b')).toBe('"a:b"')
    expect(canonicalValue('String', 'x'.repeat(100))).toMatch(/^#/)
    expect(canonicalValue('Boolean', true)).toBe('true')
    expect(canonicalValue('Int', null)).toBe('null')
    expect(canonicalValue('Int', 1.5)).toBeUndefined()
    expect(canonicalValue('Int', { gt: 1 })).toBeUndefined()
  })
})

describe('readTags()', () => {
  it('tags reads pinned by equality with row tags, others with the model tag', () => {
    expect(readTags(graph, 'Post', { where: { authorId: 1 } })).toEqual([
      'prisma:any:Post',
      'prisma:eq:Post:authorId:1',
      'prisma:field:Post:authorId',
    ])
    expect(readTags(graph, 'Post', { where: { AND: [{ id: { equals: 3 } }, { title: { contains: 'x' } }] } })).toEqual([
      'prisma:any:Post',
      'prisma:eq:Post:id:3',
      'prisma:field:Post:id',
    ])
    expect(readTags(graph, 'Post', { where: { title: { contains: 'x' } } })).toEqual(['prisma:model:Post'])
    expect(readTags(graph, 'Post', { where: { OR: [{ id: 1 }, { id: 2 }] } })).toEqual(['prisma:model:Post'])
    expect(readTags(graph, 'Post', { where: { id: 1 }, cursor: { id: 1 } })).toEqual(['prisma:model:Post'])
  })

  it('keeps model tags for many-to-many includes, relation filters and filters leading back to the model', () => {
    expect(readTags(graph, 'Post', { where: { id: 1 }, include: { tags: true } })).toEqual([
      'prisma:model:Tag',
      'prisma:any:Post',
      'prisma:eq:Post:id:1',
      'prisma:field:Post:id',
    ])
    expect(
      readTags(graph, 'Post', { where: { id: 1, author: { posts: { some: { published: true } } } } }).sort(),
    ).toEqual(['prisma:model:Post', 'prisma:model:User'])
    expect(readTags(graph, 'User', { select: { _count: { select: { posts: true } } } }).sort()).toEqual([
      'prisma:model:Post',
      'prisma:model:User',
    ])
  })

  it('derives row tags of included relations from the keys in the result', () => {
    const plan = planRead(graph, 'User', {
      where: { id: 1 },
      include: { posts: { include: { author: true, comments: { where: { body: 'x' } } } } },
    })
    expect(plan.tags).toEqual(['prisma:any:User', 'prisma:eq:User:id:1', 'prisma:field:User:id'])
    const result = {
      id: 1,
      email: 'a',
      posts: [
        { id: 10, authorId: 1, author: { id: 1 }, comments: [] },
        { id: 11, authorId: 1, author: { id: 1 }, comments: [] },
      ],
    }
    expect(deriveTags(graph, plan, result).sort()).toEqual(
      [
        'prisma:any:Post',
        'prisma:field:Post:authorId',
        'prisma:eq:Post:authorId:1',
        'prisma:any:User',
        'prisma:field:User:id',
        'prisma:eq:User:id:1',
        'prisma:any:Comment',
        'prisma:field:Comment:postId',
        'prisma:eq:Comment:postId:10',
        'prisma:eq:Comment:postId:11',
      ].sort(),
    )
  })

  it('falls back to the model tag when the result hides the linking key', () => {
    const plan = planRead(graph, 'Post', { select: { title: true, author: { select: { name: true } } } })
    expect(deriveTags(graph, plan, [{ title: 't', author: { name: 'A' } }])).toEqual(['prisma:model:User'])
  })

  it('does not key tags by Decimal, DateTime, Json or Bytes fields, nor without the schema text', () => {
    expect(readTags(graph, 'User', { where: { balance: 5, createdAt: new Date(0) } })).toEqual(['prisma:model:User'])
    expect(readTags(new ModelGraph(blogDataModel), 'Post', { where: { id: 1 } })).toEqual(['prisma:model:Post'])
  })
})

describe('writeTags()', () => {
  const post = { id: 3, title: 'T', published: false, authorId: 1 }

  it('drops the row tags of the returned row, fields the update changed and the model tag', () => {
    const effect = writeEffect(graph, 'Post', 'update', { where: { id: 3 }, data: { authorId: 1 } })
    expect(writeTags(graph, 'Post', effect, post, false).sort()).toEqual(
      [
        'prisma:model:Post',
        'prisma:field:Post:authorId',
        'prisma:eq:Post:id:3',
        'prisma:eq:Post:title:"T"',
        'prisma:eq:Post:published:false',
        'prisma:eq:Post:authorId:1',
      ].sort(),
    )
  })

  it('drops field tags for fields the result does not show', () => {
    const effect = writeEffect(graph, 'Post', 'delete', { where: { id: 3 }, select: { id: true } })
    expect(writeTags(graph, 'Post', effect, { id: 3 }, false)).toContain('prisma:field:Post:authorId')
  })

  it('drops everything of the model when rows are unknown or the write failed', () => {
    const many = writeEffect(graph, 'Post', 'updateMany', { data: { published: true } })
    expect(writeTags(graph, 'Post', many, { count: 2 }, false).sort()).toEqual(['prisma:any:Post', 'prisma:model:Post'])
    const single = writeEffect(graph, 'Post', 'update', { where: { id: 3 }, data: { title: 'x' } })
    expect(writeTags(graph, 'Post', single, undefined, true).sort()).toEqual(['prisma:any:Post', 'prisma:model:Post'])
  })

  it('drops other models touched by nested writes entirely', () => {
    const effect = writeEffect(graph, 'User', 'update', {
      where: { id: 1 },
      data: { posts: { create: { title: 'x' } } },
    })
    const tags = writeTags(graph, 'User', effect, { id: 1, email: 'a', name: null, role: 'USER' }, false)
    expect(tags).toEqual(
      expect.arrayContaining([
        'prisma:model:Post',
        'prisma:any:Post',
        'prisma:eq:User:id:1',
        'prisma:eq:User:name:null',
        'prisma:eq:User:role:"USER"',
      ]),
    )
    expect(tags).not.toContain('prisma:any:User')
  })
})

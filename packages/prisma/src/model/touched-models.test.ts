import { describe, expect, it } from 'vitest'
import { blogDataModel, blogSchema } from '../../test/fixtures/blog-model.js'
import { ModelGraph } from './model-graph.js'
import { relatedModels, writeEffect } from './touched-models.js'

const graph = new ModelGraph(blogDataModel, blogSchema)
const sorted = (set: Set<string>) => [...set].sort()

describe('relatedModels()', () => {
  it('returns models reached through include, select, _count, where and orderBy', () => {
    expect(sorted(relatedModels(graph, 'User', { where: { id: 1 } }))).toEqual([])
    expect(sorted(relatedModels(graph, 'User', { include: { posts: { include: { tags: true } } } }))).toEqual([
      'Post',
      'Tag',
    ])
    expect(sorted(relatedModels(graph, 'User', { select: { _count: { select: { comments: true } } } }))).toEqual([
      'Comment',
    ])
    expect(sorted(relatedModels(graph, 'Post', { where: { author: { profile: { isNot: null } } } }))).toEqual([
      'Profile',
      'User',
    ])
    expect(sorted(relatedModels(graph, 'Post', { orderBy: [{ author: { name: 'asc' } }] }))).toEqual(['User'])
    expect(sorted(relatedModels(graph, 'User', { include: { posts: { include: { author: true } } } }))).toEqual([
      'Post',
      'User',
    ])
  })

  it('does not descend into Dates, Decimals or bytes', () => {
    expect(
      sorted(relatedModels(graph, 'User', { where: { createdAt: { gt: new Date() }, avatar: new Uint8Array([1]) } })),
    ).toEqual([])
  })
})

describe('writeEffect()', () => {
  it('finds nested-write relations, and knows which results hold the written rows', () => {
    expect(writeEffect(graph, 'Tag', 'update', { where: { id: 1 }, data: { name: 'x' } })).toEqual({
      others: new Set(),
      knownRows: true,
      changed: new Set(['name']),
    })
    const nested = writeEffect(graph, 'User', 'create', {
      data: { email: 'a', posts: { create: [{ title: 't', tags: { connect: { id: 1 } } }] } },
    })
    expect(sorted(nested.others)).toEqual(['Post', 'Tag'])
    expect(nested.knownRows).toBe(true)
    const upsert = writeEffect(graph, 'Post', 'upsert', {
      where: { id: 1 },
      create: { title: 't', author: { connect: { id: 1 } } },
      update: { author: { connect: { id: 2 } } },
    })
    expect(sorted(upsert.others)).toEqual(['User'])
    expect(upsert.changed).toEqual(new Set(['authorId']))
    expect(writeEffect(graph, 'Tag', 'updateMany', { data: { name: 'x' } }).knownRows).toBe(false)
    expect(writeEffect(graph, 'Tag', 'createManyAndReturn', { data: [{ name: 'x' }] }).knownRows).toBe(true)
  })

  it('adds cascade dependents for delete, deleteMany and nested deletes', () => {
    expect(sorted(writeEffect(graph, 'Post', 'deleteMany', { where: { published: false } }).others)).toEqual([
      'Comment',
    ])
    expect(
      sorted(writeEffect(graph, 'User', 'update', { where: { id: 1 }, data: { posts: { deleteMany: {} } } }).others),
    ).toEqual(['Comment', 'Post'])
  })

  it('adds onUpdate dependents when a referenced key changes', () => {
    expect(sorted(writeEffect(graph, 'User', 'update', { where: { id: 1 }, data: { id: 2 } }).others)).toEqual([
      'Comment',
      'Post',
      'Profile',
      'Review',
    ])
  })

  it('does not treat selectors in where as writes', () => {
    expect(
      sorted(
        writeEffect(graph, 'Post', 'updateMany', { where: { author: { email: 'x' } }, data: { published: true } })
          .others,
      ),
    ).toEqual([])
  })

  it('gives up on row tags when a nested write leads back to the same model or the schema text is missing', () => {
    expect(
      writeEffect(graph, 'Post', 'update', {
        where: { id: 1 },
        data: { author: { update: { posts: { create: { title: 'x' } } } } },
      }).knownRows,
    ).toBe(false)
    expect(
      writeEffect(new ModelGraph(blogDataModel), 'Post', 'update', {
        where: { id: 1 },
        data: { author: { connect: { id: 2 } } },
      }).knownRows,
    ).toBe(false)
  })
})

import { ALL_TABLES_TAG, type SqlTouches, type SqlWriteKind } from '@perf/core'
import { describe, expect, it } from 'vitest'
import { type EntityMetadataLike, TableGraph } from './invalidation.js'

function entity(name: string, tableName: string, isJunction = false): EntityMetadataLike {
  return { name, tableName, isJunction, foreignKeys: [] }
}

/** authors ← posts (ON DELETE CASCADE) ← comments (NO ACTION); posts ← post_tags (CASCADE both ways). */
function blog(): TableGraph {
  const authors = entity('Author', 'authors')
  const posts = entity('Post', 'posts')
  const comments = entity('Comment', 'comments')
  const postTags = entity('post_tags', 'post_tags', true)
  const legacy = entity('LegacyPost', 'Posts')
  posts.foreignKeys = [{ entityMetadata: posts, referencedEntityMetadata: authors, onDelete: 'CASCADE' }]
  comments.foreignKeys = [{ entityMetadata: comments, referencedEntityMetadata: posts, onDelete: 'NO ACTION' }]
  postTags.foreignKeys = [
    { entityMetadata: postTags, referencedEntityMetadata: posts, onDelete: 'CASCADE', onUpdate: 'CASCADE' },
  ]
  return new TableGraph([authors, posts, comments, postTags, legacy])
}

const write = (name: string, kind: SqlWriteKind = 'rows'): SqlTouches => ({
  kind: 'write',
  reads: [],
  writes: [{ table: { schema: undefined, name }, kind }],
})

describe('TableGraph', () => {
  it('writeTags() follows ON DELETE actions for a DELETE, transitively', () => {
    expect(blog().writeTags(write('authors'), 'DELETE FROM authors').tags.sort()).toEqual([
      'table:authors',
      'table:post_tags',
      'table:posts',
    ])
  })

  it('writeTags() follows no action for an INSERT, ON UPDATE actions for an UPDATE or an upsert', () => {
    const graph = blog()
    expect(graph.writeTags(write('posts'), 'INSERT INTO posts VALUES (1)').tags).toEqual(['table:posts'])
    expect(graph.writeTags(write('posts'), 'UPDATE posts SET id = 2').tags.sort()).toEqual([
      'table:post_tags',
      'table:posts',
    ])
    expect(graph.writeTags(write('authors'), 'UPDATE authors SET id = 2').tags).toEqual(['table:authors'])
    expect(
      graph.writeTags(write('posts'), 'INSERT INTO posts VALUES (1) ON CONFLICT (id) DO UPDATE SET id = 2').tags,
    ).toContain('table:post_tags')
  })

  it('writeTags() reaches every referencing table for TRUNCATE ... CASCADE, whatever the action', () => {
    expect(blog().writeTags(write('authors', 'truncate-cascade'), 'TRUNCATE authors CASCADE').tags.sort()).toEqual([
      'table:authors',
      'table:comments',
      'table:post_tags',
      'table:posts',
    ])
    expect(blog().writeTags(write('authors', 'truncate'), 'TRUNCATE authors').tags).toEqual(['table:authors'])
  })

  it('writeTags() invalidates everything for an unknown statement and nothing for a read', () => {
    const graph = blog()
    expect(graph.writeTags({ kind: 'unknown', reads: [], writes: [] }, 'CALL f()')).toEqual({
      tags: [ALL_TABLES_TAG],
      everything: true,
    })
    expect(graph.writeTags({ kind: 'read', reads: [], writes: [] }, 'SELECT 1').tags).toEqual([])
  })

  it('modelOf() names the one entity of a table, case-insensitively, never a junction or an ambiguous table', () => {
    const graph = blog()
    expect(graph.modelOf('AUTHORS')).toBe('Author')
    expect(graph.modelOf('post_tags')).toBeUndefined()
    expect(graph.modelOf('posts')).toBeUndefined()
    expect(graph.modelOf('nothing')).toBeUndefined()
  })
})

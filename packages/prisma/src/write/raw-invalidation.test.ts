import { ALL_TABLES_TAG } from '@perf/core'
import { describe, expect, it } from 'vitest'
import { blogDataModel, blogSchema } from '../../test/fixtures/blog-model.js'
import { ALL_TAG } from '../model/cache-key.js'
import { ModelGraph } from '../model/model-graph.js'
import { rawInvalidation } from './raw-invalidation.js'

const graph = new ModelGraph(blogDataModel, blogSchema)
const noRawTables = new Map<string, readonly string[]>()
/** The models whose tags a raw statement invalidates, sorted. */
const models = (sql: string, rawTables = noRawTables) =>
  rawInvalidation([sql], graph, rawTables)
    .filter((tag) => tag.startsWith('prisma:model:'))
    .map((tag) => tag.slice('prisma:model:'.length))
    .sort()

describe('rawInvalidation()', () => {
  it('invalidates the shared table tag of every table written (@@map honoured), so other adapters drop their entries too', () => {
    const tags = rawInvalidation(['UPDATE app.comments SET body = $1 WHERE id = $2'], graph, noRawTables)
    expect(tags).toContain('table:comments')
    expect(tags).toContain('prisma:model:Comment')
    expect(rawInvalidation(['SELECT * FROM "User"'], graph, noRawTables)).toEqual([])
    expect(rawInvalidation(['CALL refresh_everything()'], graph, noRawTables)).toEqual([ALL_TAG, ALL_TABLES_TAG])
  })

  // @see issue 9: Review references User through a Restrict relation, which TRUNCATE ... CASCADE empties anyway.
  it('invalidates every model with a foreign-key path to the tables TRUNCATE ... CASCADE names', () => {
    expect(models('TRUNCATE "User" CASCADE')).toEqual(['Comment', 'Post', 'Profile', 'Review', 'User'])
    expect(models('TRUNCATE TABLE ONLY "public"."User" RESTART IDENTITY CASCADE')).toEqual([
      'Comment',
      'Post',
      'Profile',
      'Review',
      'User',
    ])
    expect(models('TRUNCATE "Post", "Tag" CASCADE')).toEqual(['Comment', 'Post', 'Tag'])
  })

  it('invalidates only the named tables for TRUNCATE without CASCADE', () => {
    expect(models('TRUNCATE "Post", comments, "_PostToTag"')).toEqual(['Comment', 'Post', 'Tag'])
    expect(models('TRUNCATE "Review" RESTRICT')).toEqual(['Review'])
    // DELETE fires referential actions; the TRUNCATE beside it does not.
    expect(models('TRUNCATE "Review"; DELETE FROM "Post"')).toEqual(['Comment', 'Post', 'Review'])
  })

  it('invalidates everything when a truncated table is not a model, unless rawTables maps it', () => {
    expect(rawInvalidation(['TRUNCATE audit_log CASCADE'], graph, noRawTables)).toEqual(['table:audit_log', ALL_TAG])
    expect(models('TRUNCATE audit_log CASCADE', new Map([['audit_log', ['Tag']]]))).toEqual(['Tag'])
  })
})

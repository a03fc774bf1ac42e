import type { DataSource } from 'typeorm'
import { describe, expectTypeOf, it } from 'vitest'
import { createLoaders } from '../src/index.js'

class Author {
  id!: number
  name!: string
}
class Tag {
  id!: number
}
class Post {
  id!: number
  author!: Author | null
  tags!: Tag[]
  lazyAuthor!: Promise<Author>
}

declare const dataSource: DataSource

describe('createLoaders() types', () => {
  it('byId() resolves to the entity or null', () => {
    const loaders = createLoaders(dataSource)
    expectTypeOf(loaders.byId(Author).load(1)).resolves.toEqualTypeOf<Author | null>()
    expectTypeOf(loaders.byId(Author).loadMany([1, 2n, '3'])).resolves.toEqualTypeOf<Array<Author | null | Error>>()
  })

  it('relation() resolves to the related entity or null for to-one, an array for to-many, and checks the name', () => {
    const loaders = createLoaders(dataSource)
    expectTypeOf(loaders.relation(Post, 'author').load(1)).resolves.toEqualTypeOf<Author | null>()
    expectTypeOf(loaders.relation(Post, 'tags').load(new Post())).resolves.toEqualTypeOf<Tag[]>()
    expectTypeOf(loaders.relation(Post, 'lazyAuthor').load(1)).resolves.toEqualTypeOf<Author | null>()
    // @ts-expect-error: not a property of Post
    loaders.relation(Post, 'editor')
  })
})

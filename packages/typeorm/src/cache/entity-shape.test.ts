import { describe, expect, it } from 'vitest'
import { EntityShape, type ShapeMetadata } from './entity-shape.js'

class Author {
  id!: number
  posts?: Post[]
}
class Post {
  id!: number
  author?: Author | null
  meta!: Meta
}
class Meta {
  views!: number
}

function metadata(): { author: ShapeMetadata; post: ShapeMetadata } {
  const author = { name: 'Author', target: Author, relations: [], embeddeds: [] } as unknown as ShapeMetadata & {
    relations: unknown[]
  }
  const post = {
    name: 'Post',
    target: Post,
    relations: [{ propertyName: 'author', isLazy: false, inverseEntityMetadata: author }],
    embeddeds: [{ propertyName: 'meta', type: Meta, relations: [], embeddeds: [] }],
  } as unknown as ShapeMetadata
  author.relations.push({ propertyName: 'posts', isLazy: false, inverseEntityMetadata: post })
  return { author, post }
}

describe('EntityShape', () => {
  it('toPlain() and fromPlain() round-trip classes, embeddeds and (cyclic-metadata) relations', () => {
    const { author } = metadata()
    const shape = EntityShape.of(author, new Map())
    const a = Object.assign(new Author(), { id: 1, posts: [] as Post[] })
    const created = new Date(0)
    a.posts = [
      Object.assign(new Post(), { id: 10, author: null, meta: Object.assign(new Meta(), { views: 3 }), created }),
    ]
    const plain = shape.toPlain(a) as Record<string, unknown>
    expect(Object.getPrototypeOf(plain)).toBe(Object.prototype)
    expect(Object.getPrototypeOf((plain.posts as object[])[0])).toBe(Object.prototype)
    const back = shape.fromPlain(plain)
    expect(back).toStrictEqual(a)
    expect((back as Author).posts?.[0]?.meta).toBeInstanceOf(Meta)
    expect((back as Author).posts?.[0]).toBeInstanceOf(Post)
  })

  it('fromPlain() does not run constructors and keeps null and undefined values', () => {
    let constructed = 0
    class Counted {
      constructor() {
        constructed++
      }
    }
    const shape = EntityShape.of({ name: 'C', target: Counted, relations: [], embeddeds: [] }, new Map())
    const back = shape.fromPlain({ a: null, b: undefined }) as Record<string, unknown>
    expect(back).toBeInstanceOf(Counted)
    expect(constructed).toBe(0)
    expect(Object.keys(back)).toEqual(['a', 'b'])
    expect(shape.fromPlain(null)).toBeNull()
  })

  it('supports() refuses lazy relations and inheritance', () => {
    const base = { name: 'X', target: class {}, relations: [], embeddeds: [] }
    expect(EntityShape.supports(base)).toBe(true)
    expect(EntityShape.supports({ ...base, lazyRelations: [{}] })).toBe(false)
    expect(EntityShape.supports({ ...base, childEntityMetadatas: [{}] })).toBe(false)
    expect(EntityShape.supports({ ...base, parentEntityMetadata: {} })).toBe(false)
  })
})

import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { CHANNELS, isPerfError, type QueryEvent } from '@perf/core'
import type * as typeorm1 from 'typeorm'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createLoaders, instrument, type TypeormPerf } from '../src/index.js'
import { createMonitor } from '@perf/core'
import { instEntities } from './fixtures/inst-entities.js'
import { MATRIX, type InstDatabase } from './fixtures/inst-harness.js'

interface Gadget {
  id: string
  name: string
}
interface Big {
  id: string
  name: string
}
interface Pair {
  a: number
  b: string
  label: string
}

interface Person {
  id: number
  name: string
  profile?: Profile | null
}
interface Profile {
  id: number
  bio: string
  person?: Person | null
}
interface Student {
  id: number
  name: string
  courses?: Course[]
}
interface Course {
  id: number
  title: string
  students?: Student[]
}

/** Keys other than int (uuid, bigint, composite), one-to-one both sides, many-to-many both sides. */
function keyEntities(typeorm: typeof typeorm1) {
  const Gadget = new typeorm.EntitySchema<Gadget>({
    name: 'Gadget',
    tableName: 'gadgets',
    columns: { id: { type: 'uuid', primary: true, generated: 'uuid' }, name: { type: String } },
  })
  const Big = new typeorm.EntitySchema<Big>({
    name: 'Big',
    tableName: 'bigs',
    columns: { id: { type: 'bigint', primary: true }, name: { type: String } },
  })
  const Pair = new typeorm.EntitySchema<Pair>({
    name: 'Pair',
    tableName: 'pairs',
    columns: {
      a: { type: Number, primary: true },
      b: { type: String, primary: true, length: 20 },
      label: { type: String },
    },
  })
  const Person = new typeorm.EntitySchema<Person>({
    name: 'Person',
    tableName: 'people',
    columns: { id: { type: Number, primary: true, generated: true }, name: { type: String } },
    relations: {
      profile: { type: 'one-to-one', target: 'Profile', inverseSide: 'person', joinColumn: true, nullable: true },
    },
  })
  const Profile = new typeorm.EntitySchema<Profile>({
    name: 'Profile',
    tableName: 'profiles',
    columns: { id: { type: Number, primary: true, generated: true }, bio: { type: String } },
    relations: { person: { type: 'one-to-one', target: 'Person', inverseSide: 'profile' } },
  })
  const Student = new typeorm.EntitySchema<Student>({
    name: 'Student',
    tableName: 'students',
    columns: { id: { type: Number, primary: true, generated: true }, name: { type: String } },
    relations: {
      courses: { type: 'many-to-many', target: 'Course', inverseSide: 'students', joinTable: { name: 'enrolments' } },
    },
  })
  const Course = new typeorm.EntitySchema<Course>({
    name: 'Course',
    tableName: 'courses',
    columns: { id: { type: Number, primary: true, generated: true }, title: { type: String } },
    relations: { students: { type: 'many-to-many', target: 'Student', inverseSide: 'courses' } },
  })
  return [Gadget, Big, Pair, Person, Profile, Student, Course]
}

/** The blog entities plus the key-type entities, on a fresh schema, with a monitor. */
async function openBlog(typeorm: typeof typeorm1, create: () => Promise<InstDatabase>) {
  const db = await create()
  const entities = instEntities(typeorm)
  const ds = new typeorm.DataSource({
    ...db.options,
    entities: [...entities.all, ...keyEntities(typeorm)],
    synchronize: true,
  } as typeorm1.DataSourceOptions)
  await ds.initialize()
  const monitor = createMonitor({ eventLoopDelay: false })
  return {
    ds,
    entities,
    monitor,
    async close() {
      await ds.destroy().catch(() => undefined)
      monitor.close()
      await db.drop()
    },
  }
}

for (const { label, typeorm, up, create } of MATRIX) {
  describe.skipIf(!up)(`createLoaders() — ${label}`, () => {
    let blog: Awaited<ReturnType<typeof openBlog>>
    let perf: TypeormPerf
    let events: QueryEvent[] = []
    const listen = (message: unknown) => void events.push(message as QueryEvent)
    const selects = () => events.filter((e) => /^\s*select/i.test(e.sql ?? ''))
    let authorIds: number[] = []
    let postIds: number[] = []

    beforeAll(async () => {
      blog = await openBlog(typeorm, create)
      perf = instrument(blog.ds, { monitor: blog.monitor })
      const { Author, Post, Comment, Tag } = blog.entities
      const authors = await blog.ds.getRepository(Author).save([{ name: 'ann' }, { name: 'bob' }, { name: 'cy' }])
      authorIds = authors.map((a) => a.id)
      const tags = await blog.ds.getRepository(Tag).save([{ name: 't1' }, { name: 't2' }])
      const posts = await blog.ds.getRepository(Post).save([
        { title: 'p1', author: authors[0], tags, comments: [{ body: 'c1' }, { body: 'c2' }] },
        { title: 'p2', author: authors[0], tags: [tags[1]!] },
        { title: 'p3', author: authors[1] },
        { title: 'p4', author: null },
      ])
      postIds = posts.map((p) => p.id)
      void Comment
      subscribe(CHANNELS.query, listen)
    })
    afterAll(async () => {
      unsubscribe(CHANNELS.query, listen)
      perf?.uninstrument()
      await blog?.close()
    })
    beforeEach(() => {
      events = []
    })

    it('byId() loads every key of a tick with one statement, in key order, null for a missing key', async () => {
      const loaders = createLoaders(blog.ds)
      const authors = loaders.byId(blog.entities.Author)
      const [b, a, missing, a2] = await Promise.all([
        authors.load(authorIds[1]!),
        authors.load(authorIds[0]!),
        authors.load(999_999),
        authors.load(String(authorIds[0])),
      ])
      expect(selects()).toHaveLength(1)
      expect(b?.name).toBe('bob')
      expect(a?.name).toBe('ann')
      expect(a2).toBe(a)
      expect(missing).toBeNull()
      expect(loaders.byId(blog.entities.Author)).toBe(authors)
      await authors.load(authorIds[0]!)
      expect(selects()).toHaveLength(1) // memoized
    })

    it('byId() splits a tick at maxBatchSize, and loadMany()/prime()/clear() behave like dataloader', async () => {
      const authors = createLoaders(blog.ds, { maxBatchSize: 2 }).byId(blog.entities.Author)
      const loaded = await authors.loadMany([...authorIds, 123_456])
      expect(loaded.map((a) => (a as { name: string } | null)?.name ?? null)).toEqual(['ann', 'bob', 'cy', null])
      expect(selects()).toHaveLength(2)
      authors.clear(authorIds[0]!).prime(authorIds[0]!, { id: authorIds[0]!, name: 'primed' })
      expect((await authors.load(authorIds[0]!))?.name).toBe('primed')
      expect(selects()).toHaveLength(2)
    })

    it('relation() loads many-to-one for a batch of posts with one statement, null without an author', async () => {
      const author = createLoaders(blog.ds).relation(blog.entities.Post, 'author')
      const [a1, a2, a3, none, unknown] = await Promise.all([
        author.load(postIds[0]!),
        author.load({ id: postIds[1]! }),
        author.load(postIds[2]!),
        author.load(postIds[3]!),
        author.load(987_654),
      ])
      expect(selects()).toHaveLength(1)
      expect([a1?.name, a2?.name, a3?.name]).toEqual(['ann', 'ann', 'bob'])
      expect(a1).toBe(a2)
      expect(none).toBeNull()
      expect(unknown).toBeNull()
    })

    it('relation() loads one-to-many and many-to-many with one statement each, [] when none', async () => {
      const loaders = createLoaders(blog.ds)
      const comments = loaders.relation(blog.entities.Post, 'comments')
      const tags = loaders.relation(blog.entities.Post, 'tags')
      const [c1, c2, t1, t2, t3] = await Promise.all([
        comments.load(postIds[0]!),
        comments.load(postIds[1]!),
        tags.load(postIds[0]!),
        tags.load(postIds[1]!),
        tags.load(postIds[2]!),
      ])
      expect(selects()).toHaveLength(2)
      expect(c1.map((c) => c.body)).toEqual(['c1', 'c2'])
      expect(c2).toEqual([])
      expect(t1.map((t) => t.name)).toEqual(['t1', 't2'])
      expect(t2.map((t) => t.name)).toEqual(['t2'])
      expect(t3).toEqual([])
      expect(t1[0]).toBeInstanceOf(Object)
    })

    it('relation() on the inverse side of many-to-one is a one-to-many keyed by the foreign key', async () => {
      const posts = createLoaders(blog.ds).relation(blog.entities.Comment, 'post')
      const [comment] = await blog.ds.getRepository(blog.entities.Comment).find({ order: { id: 'ASC' }, take: 1 })
      events = []
      expect((await posts.load(comment!.id))?.title).toBe('p1')
      expect(selects()).toHaveLength(1)
    })

    it('handles uuid, bigint and composite keys', async () => {
      const gadgets = blog.ds.getRepository<Gadget>('Gadget')
      const [g] = await gadgets.save([{ name: 'g1' }])
      await blog.ds.getRepository<Big>('Big').save([{ id: '9007199254740993', name: 'big' }])
      await blog.ds.getRepository<Pair>('Pair').save([
        { a: 1, b: 'x', label: '1x' },
        { a: 1, b: 'y', label: '1y' },
      ])
      events = []
      const loaders = createLoaders(blog.ds)
      const [gu, gl, big, bigNum, pair, nopair] = await Promise.all([
        loaders.byId<Gadget>('Gadget').load(g!.id.toUpperCase()),
        loaders.byId<Gadget>('Gadget').load(g!.id),
        loaders.byId<Big>('Big').load(9007199254740993n),
        loaders.byId<Big>('Big').load('9007199254740993'),
        loaders.byId<Pair>('Pair').load({ a: 1, b: 'y' }),
        loaders.byId<Pair>('Pair').load({ a: 2, b: 'y' }),
      ])
      expect(selects()).toHaveLength(3)
      expect(gu?.name).toBe('g1')
      expect(gl).toBe(gu)
      expect(big?.name).toBe('big')
      expect(bigNum).toBe(big)
      expect(pair?.label).toBe('1y')
      expect(nopair).toBeNull()
    })

    it('rejects a malformed key with INVALID_ARGUMENT naming the column, without failing its batch', async () => {
      const loaders = createLoaders(blog.ds)
      const authors = loaders.byId(blog.entities.Author)
      const [bad, good, float] = await authors.loadMany(['abc', authorIds[0]!, 1.5])
      expect(isPerfError(bad, 'INVALID_ARGUMENT')).toBe(true)
      expect((bad as Error).message).toMatch(/key "abc" is not an integer .*column authors\.id/)
      expect(isPerfError(float, 'INVALID_ARGUMENT')).toBe(true)
      expect((good as { name: string }).name).toBe('ann')
      const [notUuid] = await loaders.byId<Gadget>('Gadget').loadMany(['not-a-uuid'])
      expect((notUuid as Error).message).toMatch(/not a uuid string/)
      const [half] = await loaders.byId<Pair>('Pair').loadMany([1])
      expect((half as Error).message).toMatch(/composite primary key; a key must be an object with a, b/)
      expect(selects()).toHaveLength(1)
    })

    it('throws UNKNOWN_MODEL for an unknown entity and INVALID_ARGUMENT for an unknown relation', () => {
      const loaders = createLoaders(blog.ds)
      expect(() => loaders.byId('Nope')).toThrow(expect.objectContaining({ code: 'UNKNOWN_MODEL' }))
      expect(() => loaders.byId(class Stranger {})).toThrow(/"Stranger" is not an entity of this DataSource/)
      expect(() => loaders.relation(blog.entities.Post, 'editor' as 'author')).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/no relation "editor"/) }),
      )
      expect(() => createLoaders(blog.ds, { maxBatchSize: 0 })).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTION' }),
      )
      expect(() => createLoaders(blog.ds, { batch: 1 } as never)).toThrow(/unknown option/)
    })

    it('relation() loads one-to-one from both sides and many-to-many from the inverse side', async () => {
      const [p1, p2] = await blog.ds.getRepository<Profile>('Profile').save([{ bio: 'b1' }, { bio: 'b2' }])
      const people = await blog.ds.getRepository<Person>('Person').save([
        { name: 'x', profile: p1 },
        { name: 'y', profile: null },
      ])
      const courses = await blog.ds.getRepository<Course>('Course').save([{ title: 'math' }, { title: 'art' }])
      const [s1] = await blog.ds.getRepository<Student>('Student').save([{ name: 's1', courses }, { name: 's2' }])
      events = []
      const loaders = createLoaders(blog.ds)
      const [profileX, profileY, personOfP1, personOfP2, studentsOfMath, coursesOfS1] = await Promise.all([
        loaders.relation<Person, 'profile'>('Person', 'profile').load(people[0]!.id),
        loaders.relation<Person, 'profile'>('Person', 'profile').load(people[1]!.id),
        loaders.relation<Profile, 'person'>('Profile', 'person').load(p1!.id),
        loaders.relation<Profile, 'person'>('Profile', 'person').load(p2!.id),
        loaders.relation<Course, 'students'>('Course', 'students').load(courses[0]!.id),
        loaders.relation<Student, 'courses'>('Student', 'courses').load(s1!.id),
      ])
      expect(selects()).toHaveLength(4)
      expect(profileX?.bio).toBe('b1')
      expect(profileY).toBeNull()
      expect(personOfP1?.name).toBe('x')
      expect(personOfP2).toBeNull()
      expect(studentsOfMath.map((s) => s.name)).toEqual(['s1'])
      expect(coursesOfS1.map((c) => c.title)).toEqual(['math', 'art'])
    })

    it('leaves soft-deleted rows out, as find() does', async () => {
      const posts = blog.ds.getRepository(blog.entities.Post)
      const [gone] = await posts.save([{ title: 'gone', author: { id: authorIds[2]! } }])
      await posts.softRemove(gone!)
      const loaders = createLoaders(blog.ds)
      expect(await loaders.byId(blog.entities.Post).load(gone!.id)).toBeNull()
      expect(await loaders.relation(blog.entities.Post, 'author').load(gone!.id)).toBeNull()
    })

    it('rejects every key of a batch the database fails, and memoizes none of them', async () => {
      const loaders = createLoaders(blog.ds)
      const authors = loaders.byId(blog.entities.Author)
      const ds = blog.ds as unknown as { createQueryBuilder: (...args: unknown[]) => unknown }
      const original = ds.createQueryBuilder
      ds.createQueryBuilder = () => {
        throw new Error('database down')
      }
      try {
        const results = await authors.loadMany([authorIds[0]!, authorIds[1]!])
        expect(results.map((r) => (r as Error).message)).toEqual(['database down', 'database down'])
      } finally {
        ds.createQueryBuilder = original
      }
      expect((await authors.load(authorIds[0]!))?.name).toBe('ann')
    })

    it('reads through the transaction of the manager option, and sees its uncommitted rows', async () => {
      await blog.ds
        .transaction(async (manager) => {
          const [fresh] = await manager.getRepository(blog.entities.Author).save([{ name: 'in tx' }])
          const inside = createLoaders(blog.ds, { manager }).byId(blog.entities.Author)
          const outside = createLoaders(blog.ds).byId(blog.entities.Author)
          expect((await inside.load(fresh!.id))?.name).toBe('in tx')
          expect(await outside.load(fresh!.id)).toBeNull()
          throw new Error('roll back')
        })
        .catch((err: Error) => expect(err.message).toBe('roll back'))
      expect(() => createLoaders(blog.ds, { manager: {} as never })).toThrow(/manager must be a TypeORM EntityManager/)
    })

    it('turns an N+1 loop into one statement per tick', async () => {
      const posts = await blog.ds.getRepository(blog.entities.Post).find({ order: { id: 'ASC' } })
      events = []
      const author = createLoaders(blog.ds).relation(blog.entities.Post, 'author')
      const names = await Promise.all(posts.map(async (p) => (await author.load(p))?.name ?? null))
      expect(names).toEqual(['ann', 'ann', 'bob', null])
      expect(events).toHaveLength(1)
    })
  })
}

import { Prisma, type PrismaClient } from '../generated/client.js'
import { createTestDatabase, type TestDatabase } from './database.js'
import { wrap } from './harness.js'

/** A user with every scalar type, a profile, two posts with tags and comments. */
export async function seedBlog(prisma: PrismaClient) {
  const alice = await prisma.user.create({
    data: {
      email: 'alice@example.com',
      name: 'Alice',
      role: 'ADMIN',
      balance: new Prisma.Decimal('1234.56'),
      visits: 9007199254740993n,
      avatar: new Uint8Array([0, 1, 2, 254, 255]),
      settings: { theme: 'dark', nested: { list: [1, 'two', null, true] }, empty: {} },
      createdAt: new Date('2024-02-29T12:34:56.789Z'),
      profile: { create: { bio: 'Hello' } },
    },
  })
  const bob = await prisma.user.create({ data: { email: 'bob@example.com', name: null, settings: Prisma.DbNull } })
  const news = await prisma.tag.create({ data: { name: 'news' } })
  const tech = await prisma.tag.create({ data: { name: 'tech' } })
  const first = await prisma.post.create({
    data: {
      title: 'First',
      published: true,
      authorId: alice.id,
      tags: { connect: [{ id: news.id }, { id: tech.id }] },
    },
  })
  const second = await prisma.post.create({
    data: { title: 'Second', authorId: alice.id, tags: { connect: [{ id: tech.id }] } },
  })
  await prisma.comment.create({ data: { body: 'Nice', postId: first.id, authorId: bob.id } })
  return { alice, bob, news, tech, first, second }
}

/** The ids `seedBlog` returns. */
export type BlogIds = Awaited<ReturnType<typeof seedBlog>>

/**
 * A fresh schema for one test that writes: drops `previous` (the last test's), creates and seeds a
 * new one, and wraps a client with `perf(options)`.
 */
export async function freshBlog(
  previous: TestDatabase | undefined,
  options?: Parameters<typeof wrap>[1],
): Promise<{ tdb: TestDatabase; ids: BlogIds; w: ReturnType<typeof wrap> }> {
  await previous?.drop()
  const tdb = await createTestDatabase()
  const ids = await seedBlog(tdb.createClient().prisma)
  return { tdb, ids, w: wrap(tdb, options) }
}

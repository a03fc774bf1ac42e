import type { PrismaClient } from './generated/client.js'
import type { SeedSizes } from './seed.js'

/**
 * The shop's API, written the way an application writes it: plain Prisma calls, no caching code.
 * The wrapped run gets its caching from `perf({ models })` defaults, not from edits here.
 */

/** Deterministic PRNG (mulberry32): both runs issue the same request sequence. */
export function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export const int = (rnd: () => number, max: number) => 1 + Math.floor(rnd() * max)

/** One API request: an endpoint name and its parameters. */
export type Request =
  | { endpoint: 'GET /products/:id'; id: number }
  | { endpoint: 'GET /categories/:id/products'; id: number; page: number }
  | { endpoint: 'GET /customers/:id/orders'; id: number }

/** Hot products: most traffic lands on a few pages, like any shop. */
export const HOT_PRODUCTS = 100

/** Picks the next request: 45% product pages (80% hot), 35% category listings, 20% order history (cold). */
export function nextRequest(rnd: () => number, sizes: SeedSizes): Request {
  const roll = rnd()
  if (roll < 0.45) {
    const id = rnd() < 0.8 ? int(rnd, HOT_PRODUCTS) : int(rnd, sizes.products)
    return { endpoint: 'GET /products/:id', id }
  }
  if (roll < 0.8) {
    const page = rnd() < 0.8 ? Math.floor(rnd() * 3) : Math.floor(rnd() * 10)
    return { endpoint: 'GET /categories/:id/products', id: int(rnd, sizes.categories), page }
  }
  return { endpoint: 'GET /customers/:id/orders', id: int(rnd, sizes.customers) }
}

/**
 * The shop as the phases and the verification drive it: one implementation per ORM
 * (`prismaShop` below, `typeormShop` in ./typeorm/workload.ts), the same endpoints and writes.
 */
export interface ShopApp {
  /** Serves one request; returns what the endpoint would render. */
  serve(request: Request): Promise<unknown>
  /** One write of the background stream. */
  write(rnd: () => number, sizes: SeedSizes): Promise<void>
}

/** The shop on a Prisma client (plain or extended). */
export function prismaShop(db: PrismaClient): ShopApp {
  return { serve: (request) => serve(db, request), write: (rnd, sizes) => write(db, rnd, sizes) }
}

/** Serves one request with `db`; returns what the endpoint would render. */
export async function serve(db: PrismaClient, request: Request): Promise<unknown> {
  switch (request.endpoint) {
    case 'GET /products/:id': {
      const [product, reviews, rating] = await Promise.all([
        db.product.findUnique({ where: { id: request.id }, include: { category: true } }),
        db.review.findMany({
          where: { productId: request.id },
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
          take: 5,
          include: { customer: { select: { name: true, country: true } } },
        }),
        db.review.aggregate({ where: { productId: request.id }, _avg: { rating: true }, _count: true }),
      ])
      return { product, reviews, rating }
    }
    case 'GET /categories/:id/products': {
      const category = await db.category.findUnique({ where: { id: request.id } })
      const products = await db.product.findMany({
        where: { categoryId: request.id },
        orderBy: { id: 'asc' },
        skip: request.page * 20,
        take: 20,
        select: { id: true, sku: true, name: true, price: true, stock: true, attributes: true },
      })
      // The classic N+1: one rating query per listed product.
      const rated = []
      for (const product of products) {
        const rating = await db.review.aggregate({ where: { productId: product.id }, _avg: { rating: true } })
        rated.push({ ...product, rating: rating._avg.rating })
      }
      return { category, products: rated }
    }
    case 'GET /customers/:id/orders': {
      const [customer, orders] = await Promise.all([
        db.customer.findUnique({ where: { id: request.id } }),
        db.order.findMany({
          where: { customerId: request.id },
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
          take: 10,
          include: { items: { include: { product: { select: { name: true, price: true } } } } },
        }),
      ])
      return { customer, orders }
    }
  }
}

/** The items of one new order: 1–3 random products, 1–3 of each, at 19.99. */
export function newOrderItems(
  rnd: () => number,
  sizes: SeedSizes,
): { productId: number; quantity: number; unitPrice: string }[] {
  return Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => ({
    productId: int(rnd, sizes.products),
    quantity: 1 + Math.floor(rnd() * 3),
    unitPrice: '19.99',
  }))
}

/**
 * One write of the background stream: 80% orders (nested create of items), 10% restocks,
 * 10% reviews in an interactive transaction that also credits loyalty points.
 */
export async function write(db: PrismaClient, rnd: () => number, sizes: SeedSizes): Promise<void> {
  const roll = rnd()
  const customerId = int(rnd, sizes.customers)
  if (roll < 0.8) {
    const items = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => ({
      productId: int(rnd, sizes.products),
      quantity: 1 + Math.floor(rnd() * 3),
      unitPrice: '19.99',
    }))
    await db.order.create({
      data: { customerId, total: (items.length * 19.99).toFixed(2), status: 'PAID', items: { create: items } },
    })
  } else if (roll < 0.9) {
    await db.product.update({ where: { id: int(rnd, sizes.products) }, data: { stock: { increment: 10 } } })
  } else {
    const productId = rnd() < 0.5 ? int(rnd, HOT_PRODUCTS) : int(rnd, sizes.products)
    await db.$transaction(async (tx) => {
      await tx.review.create({ data: { productId, customerId, rating: int(rnd, 5), body: 'Great value' } })
      await tx.customer.update({ where: { id: customerId }, data: { loyaltyPoints: { increment: 10n } } })
    })
  }
}

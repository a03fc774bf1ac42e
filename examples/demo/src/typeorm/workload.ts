import type { DataSource } from 'typeorm'
import type { SeedSizes } from '../seed.js'
import { HOT_PRODUCTS, int, type Request, type ShopApp } from '../workload.js'
import {
  CategoryEntity,
  CustomerEntity,
  OrderEntity,
  OrderItemEntity,
  ProductEntity,
  ReviewEntity,
} from './entities.js'

/**
 * The shop's API on TypeORM, written the way an application writes it: repositories and one
 * QueryBuilder aggregate, no caching code. The same endpoints, queries and writes as the Prisma
 * version in ../workload.ts. The wrapped run gets its caching from instrument() and the
 * DataSource's cache option, not from edits here.
 */
export function typeormShop(ds: DataSource): ShopApp {
  const categories = ds.getRepository(CategoryEntity)
  const customers = ds.getRepository(CustomerEntity)
  const products = ds.getRepository(ProductEntity)
  const orders = ds.getRepository(OrderEntity)
  const reviews = ds.getRepository(ReviewEntity)

  async function serve(request: Request): Promise<unknown> {
    switch (request.endpoint) {
      case 'GET /products/:id': {
        const [product, latest, rating] = await Promise.all([
          products.findOne({ where: { id: request.id }, relations: { category: true } }),
          reviews.find({
            where: { productId: request.id },
            order: { createdAt: 'DESC', id: 'DESC' },
            take: 5,
            relations: { customer: true },
          }),
          reviews
            .createQueryBuilder('review')
            .select('AVG(review.rating)', 'avg')
            .addSelect('COUNT(*)', 'count')
            .where('review.productId = :id', { id: request.id })
            .getRawOne<{ avg: string | null; count: string }>(),
        ])
        return { product, reviews: latest, rating }
      }
      case 'GET /categories/:id/products': {
        const category = await categories.findOneBy({ id: request.id })
        const listed = await products.find({
          where: { categoryId: request.id },
          order: { id: 'ASC' },
          skip: request.page * 20,
          take: 20,
          select: { id: true, sku: true, name: true, price: true, stock: true, attributes: true },
        })
        // The classic N+1: one rating query per listed product.
        const rated = []
        for (const product of listed) {
          const rating = await reviews.average('rating', { productId: product.id })
          rated.push({ ...product, rating })
        }
        return { category, products: rated }
      }
      case 'GET /customers/:id/orders': {
        const [customer, history] = await Promise.all([
          customers.findOneBy({ id: request.id }),
          orders.find({
            where: { customerId: request.id },
            order: { createdAt: 'DESC', id: 'DESC' },
            take: 10,
            relations: { items: { product: true } },
          }),
        ])
        return { customer, orders: history }
      }
    }
  }

  /** 80% orders with items (one transaction), 10% restocks, 10% reviews that also credit loyalty points. */
  async function write(rnd: () => number, sizes: SeedSizes): Promise<void> {
    const roll = rnd()
    const customerId = int(rnd, sizes.customers)
    if (roll < 0.8) {
      const items = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => ({
        productId: int(rnd, sizes.products),
        quantity: 1 + Math.floor(rnd() * 3),
        unitPrice: '19.99',
      }))
      await ds.transaction(async (manager) => {
        const order = await manager.save(OrderEntity, {
          customerId,
          total: (items.length * 19.99).toFixed(2),
          status: 'PAID',
        })
        await manager.insert(
          OrderItemEntity,
          items.map((item) => ({ ...item, orderId: order.id })),
        )
      })
    } else if (roll < 0.9) {
      await products.increment({ id: int(rnd, sizes.products) }, 'stock', 10)
    } else {
      const productId = rnd() < 0.5 ? int(rnd, HOT_PRODUCTS) : int(rnd, sizes.products)
      await ds.transaction(async (manager) => {
        await manager.insert(ReviewEntity, { productId, customerId, rating: int(rnd, 5), body: 'Great value' })
        await manager.increment(CustomerEntity, { id: customerId }, 'loyaltyPoints', 10)
      })
    }
  }

  return { serve, write }
}

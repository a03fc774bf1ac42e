import { fn, col, type Model, type Sequelize } from 'sequelize'
import type { SeedSizes } from '../seed.js'
import { HOT_PRODUCTS, int, newOrderItems, type Request, type ShopApp } from '../workload.js'
import type { ShopModels } from './models.js'

/** What an endpoint renders of an instance (or a list of them): `get({ plain: true })`, as `res.json()` would. */
function render(value: Model | Model[] | null): unknown {
  if (value === null) return null
  if (Array.isArray(value)) return value.map((m) => m.get({ plain: true }))
  return value.get({ plain: true })
}

/**
 * The shop's API on Sequelize, written the way an application writes it: finders with `include`,
 * `increment`, managed transactions, no caching code. The same endpoints, queries and writes as
 * the Prisma version in ../workload.ts. The wrapped run gets its caching from instrument()'s
 * per-model defaults, not from edits here.
 */
export function sequelizeShop(sequelize: Sequelize, m: ShopModels): ShopApp {
  const ratingOf = (productId: number, withCount: boolean) =>
    m.Review.findOne({
      attributes: [
        [fn('AVG', col('rating')), 'avg'],
        ...(withCount ? [[fn('COUNT', col('*')), 'count'] as [ReturnType<typeof fn>, string]] : []),
      ],
      where: { productId },
      raw: true,
    })

  async function serve(request: Request): Promise<unknown> {
    switch (request.endpoint) {
      case 'GET /products/:id': {
        const [product, reviews, rating] = await Promise.all([
          m.Product.findByPk(request.id, { include: [{ model: m.Category, as: 'category' }] }),
          m.Review.findAll({
            where: { productId: request.id },
            order: [
              ['createdAt', 'DESC'],
              ['id', 'DESC'],
            ],
            limit: 5,
            include: [{ model: m.Customer, as: 'customer', attributes: ['name', 'country'] }],
          }),
          ratingOf(request.id, true),
        ])
        return { product: render(product), reviews: render(reviews), rating }
      }
      case 'GET /categories/:id/products': {
        const category = await m.Category.findByPk(request.id)
        const products = await m.Product.findAll({
          where: { categoryId: request.id },
          order: [['id', 'ASC']],
          offset: request.page * 20,
          limit: 20,
          attributes: ['id', 'sku', 'name', 'price', 'stock', 'attributes'],
        })
        // The classic N+1: one rating query per listed product.
        const rated = []
        for (const product of products) {
          const rating = await ratingOf(product.get('id') as number, false)
          rated.push({ ...product.get({ plain: true }), rating: (rating as { avg?: unknown } | null)?.avg ?? null })
        }
        return { category: render(category), products: rated }
      }
      case 'GET /customers/:id/orders': {
        const [customer, orders] = await Promise.all([
          m.Customer.findByPk(request.id),
          m.Order.findAll({
            where: { customerId: request.id },
            order: [
              ['createdAt', 'DESC'],
              ['id', 'DESC'],
              [{ model: m.OrderItem, as: 'items' }, 'id', 'ASC'],
            ],
            limit: 10,
            include: [
              {
                model: m.OrderItem,
                as: 'items',
                include: [{ model: m.Product, as: 'product', attributes: ['name', 'price'] }],
              },
            ],
          }),
        ])
        return { customer: render(customer), orders: render(orders) }
      }
    }
  }

  /** 80% orders with items (one transaction), 10% restocks, 10% reviews that also credit loyalty points. */
  async function write(rnd: () => number, sizes: SeedSizes): Promise<void> {
    const roll = rnd()
    const customerId = int(rnd, sizes.customers)
    if (roll < 0.8) {
      const items = newOrderItems(rnd, sizes)
      await sequelize.transaction(async (transaction) => {
        const order = await m.Order.create(
          { customerId, total: (items.length * 19.99).toFixed(2), status: 'PAID' },
          { transaction },
        )
        await m.OrderItem.bulkCreate(
          items.map((item) => ({ ...item, orderId: order.get('id') })),
          { transaction },
        )
      })
    } else if (roll < 0.9) {
      await m.Product.increment('stock', { by: 10, where: { id: int(rnd, sizes.products) } })
    } else {
      const productId = rnd() < 0.5 ? int(rnd, HOT_PRODUCTS) : int(rnd, sizes.products)
      await sequelize.transaction(async (transaction) => {
        await m.Review.create({ productId, customerId, rating: int(rnd, 5), body: 'Great value' }, { transaction })
        await m.Customer.increment('loyaltyPoints', { by: 10, where: { id: customerId }, transaction })
      })
    }
  }

  return { serve, write }
}

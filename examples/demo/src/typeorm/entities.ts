import { EntitySchema } from 'typeorm'

/**
 * The shop's tables (../schema.sql) as TypeORM entities. EntitySchema rather than decorators: the
 * demo runs under tsx, whose compiler emits no design-type metadata. As TypeORM returns them:
 * DECIMAL and BIGINT columns are strings, TIMESTAMPTZ a Date, JSONB parsed.
 */

export interface Category {
  id: number
  name: string
  slug: string
}
export interface Customer {
  id: number
  email: string
  name: string
  country: string
  loyaltyPoints: string
  createdAt: Date
}
export interface Product {
  id: number
  sku: string
  name: string
  description: string
  price: string
  stock: number
  attributes: unknown
  categoryId: number
  category?: Category
  createdAt: Date
}
export interface Order {
  id: number
  customerId: number
  status: 'PENDING' | 'PAID' | 'SHIPPED' | 'CANCELLED'
  total: string
  createdAt: Date
  items?: OrderItem[]
}
export interface OrderItem {
  id: number
  orderId: number
  productId: number
  quantity: number
  unitPrice: string
  order?: Order
  product?: Product
}
export interface Review {
  id: number
  productId: number
  customerId: number
  rating: number
  body: string
  createdAt: Date
  customer?: Customer
}

const id = { type: 'integer', primary: true, generated: 'increment' } as const
const createdAt = { type: 'timestamptz', precision: 3, default: () => 'CURRENT_TIMESTAMP' } as const

export const CategoryEntity = new EntitySchema<Category>({
  name: 'Category',
  tableName: 'Category',
  columns: { id, name: { type: 'text' }, slug: { type: 'text', unique: true } },
})

export const CustomerEntity = new EntitySchema<Customer>({
  name: 'Customer',
  tableName: 'Customer',
  columns: {
    id,
    email: { type: 'text', unique: true },
    name: { type: 'text' },
    country: { type: 'text' },
    loyaltyPoints: { type: 'bigint', default: 0 },
    createdAt,
  },
})

export const ProductEntity = new EntitySchema<Product>({
  name: 'Product',
  tableName: 'Product',
  columns: {
    id,
    sku: { type: 'text', unique: true },
    name: { type: 'text' },
    description: { type: 'text' },
    price: { type: 'decimal', precision: 10, scale: 2 },
    stock: { type: 'integer' },
    attributes: { type: 'jsonb' },
    categoryId: { type: 'integer' },
    createdAt,
  },
  relations: {
    category: { type: 'many-to-one', target: 'Category', joinColumn: { name: 'categoryId' } },
  },
})

export const OrderEntity = new EntitySchema<Order>({
  name: 'Order',
  tableName: 'Order',
  columns: {
    id,
    customerId: { type: 'integer' },
    status: { type: 'enum', enum: ['PENDING', 'PAID', 'SHIPPED', 'CANCELLED'], enumName: 'OrderStatus' },
    total: { type: 'decimal', precision: 12, scale: 2 },
    createdAt,
  },
  relations: {
    items: { type: 'one-to-many', target: 'OrderItem', inverseSide: 'order' },
  },
})

export const OrderItemEntity = new EntitySchema<OrderItem>({
  name: 'OrderItem',
  tableName: 'OrderItem',
  columns: {
    id,
    orderId: { type: 'integer' },
    productId: { type: 'integer' },
    quantity: { type: 'integer' },
    unitPrice: { type: 'decimal', precision: 10, scale: 2 },
  },
  relations: {
    order: { type: 'many-to-one', target: 'Order', inverseSide: 'items', joinColumn: { name: 'orderId' } },
    product: { type: 'many-to-one', target: 'Product', joinColumn: { name: 'productId' } },
  },
})

export const ReviewEntity = new EntitySchema<Review>({
  name: 'Review',
  tableName: 'Review',
  columns: {
    id,
    productId: { type: 'integer' },
    customerId: { type: 'integer' },
    rating: { type: 'integer' },
    body: { type: 'text' },
    createdAt,
  },
  relations: {
    customer: { type: 'many-to-one', target: 'Customer', joinColumn: { name: 'customerId' } },
  },
})

/** Every entity of the shop, for `new DataSource({ entities })`. */
export const SHOP_ENTITIES = [CategoryEntity, CustomerEntity, ProductEntity, OrderEntity, OrderItemEntity, ReviewEntity]

import { DataTypes, type Model, type ModelStatic, type Sequelize } from 'sequelize'

/**
 * The shop's tables (../schema.sql) as Sequelize models, defined the way an application defines
 * them. As Sequelize returns them on PostgreSQL: DECIMAL and BIGINT columns are strings,
 * TIMESTAMPTZ a Date, JSONB parsed.
 */
export interface ShopModels {
  Category: ModelStatic<Model>
  Customer: ModelStatic<Model>
  Product: ModelStatic<Model>
  Order: ModelStatic<Model>
  OrderItem: ModelStatic<Model>
  Review: ModelStatic<Model>
}

const id = { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true }
// Set on create like the column's DEFAULT CURRENT_TIMESTAMP; the tables have no updatedAt (timestamps: false).
const createdAt = { type: DataTypes.DATE(3), allowNull: false, defaultValue: DataTypes.NOW }

/** Defines the six shop models and their associations on `sequelize`. */
export function defineShopModels(sequelize: Sequelize): ShopModels {
  const options = (tableName: string) => ({ tableName, timestamps: false, freezeTableName: true })
  const Category = sequelize.define(
    'Category',
    { id, name: { type: DataTypes.TEXT, allowNull: false }, slug: { type: DataTypes.TEXT, allowNull: false } },
    options('Category'),
  )
  const Customer = sequelize.define(
    'Customer',
    {
      id,
      email: { type: DataTypes.TEXT, allowNull: false },
      name: { type: DataTypes.TEXT, allowNull: false },
      country: { type: DataTypes.TEXT, allowNull: false },
      loyaltyPoints: { type: DataTypes.BIGINT, allowNull: false, defaultValue: 0 },
      createdAt,
    },
    options('Customer'),
  )
  const Product = sequelize.define(
    'Product',
    {
      id,
      sku: { type: DataTypes.TEXT, allowNull: false },
      name: { type: DataTypes.TEXT, allowNull: false },
      description: { type: DataTypes.TEXT, allowNull: false },
      price: { type: DataTypes.DECIMAL(10, 2), allowNull: false },
      stock: { type: DataTypes.INTEGER, allowNull: false },
      attributes: { type: DataTypes.JSONB, allowNull: false },
      categoryId: { type: DataTypes.INTEGER, allowNull: false },
      createdAt,
    },
    options('Product'),
  )
  const Order = sequelize.define(
    'Order',
    {
      id,
      customerId: { type: DataTypes.INTEGER, allowNull: false },
      status: { type: DataTypes.ENUM('PENDING', 'PAID', 'SHIPPED', 'CANCELLED'), allowNull: false },
      total: { type: DataTypes.DECIMAL(12, 2), allowNull: false },
      createdAt,
    },
    options('Order'),
  )
  const OrderItem = sequelize.define(
    'OrderItem',
    {
      id,
      orderId: { type: DataTypes.INTEGER, allowNull: false },
      productId: { type: DataTypes.INTEGER, allowNull: false },
      quantity: { type: DataTypes.INTEGER, allowNull: false },
      unitPrice: { type: DataTypes.DECIMAL(10, 2), allowNull: false },
    },
    options('OrderItem'),
  )
  const Review = sequelize.define(
    'Review',
    {
      id,
      productId: { type: DataTypes.INTEGER, allowNull: false },
      customerId: { type: DataTypes.INTEGER, allowNull: false },
      rating: { type: DataTypes.INTEGER, allowNull: false },
      body: { type: DataTypes.TEXT, allowNull: false },
      createdAt,
    },
    options('Review'),
  )
  Product.belongsTo(Category, { as: 'category', foreignKey: 'categoryId' })
  Order.hasMany(OrderItem, { as: 'items', foreignKey: 'orderId' })
  OrderItem.belongsTo(Product, { as: 'product', foreignKey: 'productId' })
  Review.belongsTo(Customer, { as: 'customer', foreignKey: 'customerId' })
  return { Category, Customer, Product, Order, OrderItem, Review }
}

import { DataTypes, Model, QueryTypes, Sequelize } from 'sequelize'
import { expectTypeOf, test } from 'vitest'
import '../src/index.js'

class User extends Model {
  declare id: number
}

test('cache is typed on finders, aggregates and raw reads', async () => {
  const sequelize = new Sequelize('postgres://x@localhost/x')
  User.init({ id: { type: DataTypes.INTEGER, primaryKey: true } }, { sequelize })
  expectTypeOf(User.findAll).toBeCallableWith({ cache: { ttl: '30s', swr: 1000, tags: ['x'] } })
  expectTypeOf(User.findByPk).toBeCallableWith(1, { cache: true })
  expectTypeOf(User.count).toBeCallableWith({ cache: false })
  expectTypeOf(User.findAndCountAll).toBeCallableWith({ cache: { ttl: 5 } })
  expectTypeOf(User.max).toBeCallableWith('id', { cache: { ttl: 5 } })
  expectTypeOf(sequelize.query).toBeCallableWith('SELECT 1', { type: QueryTypes.SELECT, cache: { ttl: 5 } })
  // @ts-expect-error ttl is a duration
  expectTypeOf(User.findAll).toBeCallableWith({ cache: { ttl: {} } })
})

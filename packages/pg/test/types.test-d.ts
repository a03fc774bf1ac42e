import type pg from 'pg'
import { expectTypeOf, test } from 'vitest'
import { bulkUpdate, bulkUpsert, copyInsert, streamQuery, type BulkResult } from '../src/index.js'

interface Order {
  id: number
  total: string
  at: Date
}

declare const pool: pg.Pool
declare const orders: Order[]
declare function readOrders(): AsyncGenerator<Order>

test('bulk writes accept rows typed by an interface, arrays and async iterables', () => {
  expectTypeOf(copyInsert(pool, 'orders', ['id', 'total', 'at'], orders)).toEqualTypeOf<Promise<BulkResult>>()
  expectTypeOf(copyInsert(pool, 'orders', ['id', 'total'], readOrders())).toEqualTypeOf<Promise<BulkResult>>()
  expectTypeOf(bulkUpdate(pool, 'orders', 'id', ['total'], [[1, '2.00']])).toEqualTypeOf<Promise<BulkResult>>()
  expectTypeOf(bulkUpsert(pool, 'orders', ['id', 'total'], orders, { conflict: ['id'] })).toEqualTypeOf<
    Promise<BulkResult>
  >()
})

test('streamQuery yields the row type it is given', () => {
  expectTypeOf(streamQuery<Order>(pool, 'SELECT * FROM orders')).toEqualTypeOf<AsyncIterable<Order>>()
  // @ts-expect-error bulkUpsert needs its conflict target
  void bulkUpsert(pool, 'orders', ['id'], orders)
})

import type { SqlWrite } from '@perf/core'
import { describe, expect, it } from 'vitest'
import { widenWrites } from './references.js'

const model = (table: string, attributes: Record<string, object> = {}) => ({
  getTableName: () => table,
  rawAttributes: attributes,
})
const models = {
  Category: model('categories'),
  Product: model('products', {
    categoryId: { references: { model: 'categories', key: 'id' }, onDelete: 'SET NULL', onUpdate: 'CASCADE' },
  }),
  Label: model('labels'),
  ProductLabel: model('product_labels', {
    productId: { references: { model: 'products', key: 'id' }, onDelete: 'CASCADE', onUpdate: 'CASCADE' },
    labelId: { references: { model: 'labels', key: 'id' }, onDelete: 'CASCADE', onUpdate: 'CASCADE' },
  }),
  Audit: model('audits', { labelId: { references: { model: 'labels', key: 'id' }, onDelete: 'NO ACTION' } }),
}
const rows = (name: string, kind: SqlWrite['kind'] = 'rows'): SqlWrite[] => [
  { table: { schema: undefined, name }, kind },
]

describe('widenWrites()', () => {
  it('a DELETE reaches tables whose keys cascade or set null, transitively', () => {
    expect(widenWrites(models, rows('categories'), 'DELETE FROM "categories" WHERE "id" = 1').sort()).toEqual([
      'categories',
      'product_labels',
      'products',
    ])
    expect(widenWrites(models, rows('labels'), 'DELETE FROM labels').sort()).toEqual(['labels', 'product_labels'])
  })

  it('an UPDATE reaches referencing tables only when it sets the referenced key', () => {
    expect(widenWrites(models, rows('categories'), 'UPDATE "categories" SET "name"=$1 WHERE "id" = $2')).toEqual([
      'categories',
    ])
    expect(widenWrites(models, rows('categories'), 'UPDATE "categories" SET "id"=$1 WHERE "id" = $2').sort()).toEqual([
      'categories',
      'product_labels',
      'products',
    ])
  })

  it('a plain INSERT reaches nothing else; TRUNCATE CASCADE reaches every referencing table', () => {
    expect(widenWrites(models, rows('labels'), 'INSERT INTO labels (name) VALUES ($1)')).toEqual(['labels'])
    expect(widenWrites(models, rows('labels', 'truncate-cascade'), 'TRUNCATE labels CASCADE').sort()).toEqual([
      'audits',
      'labels',
      'product_labels',
    ])
    expect(widenWrites(models, rows('labels', 'truncate'), 'TRUNCATE labels')).toEqual(['labels'])
  })
})

import { describe, expect, it } from 'vitest'
import { isPerfError } from '../errors.js'
import { sqlResultKey } from './result-key.js'
import { ALL_TABLES_TAG, tableTag, tableTags } from './table-tags.js'
import { TransactionInvalidations } from './transaction-invalidations.js'

describe('tableTag', () => {
  it('is table:<name>, lower-cased, without the schema, from a SqlTable or a string', () => {
    expect(tableTag({ schema: undefined, name: 'users' })).toBe('table:users')
    expect(tableTag({ schema: 'app', name: 'Users' })).toBe('table:users')
    expect(tableTag('app.users')).toBe('table:users')
    expect(tableTag('Order_Items')).toBe('table:order_items')
    expect(ALL_TABLES_TAG).toBe('table:*')
  })

  it('deduplicates across schemas and case', () => {
    expect(tableTags(['users', 'app.users', { schema: 'x', name: 'USERS' }, 'posts'])).toEqual([
      'table:users',
      'table:posts',
    ])
  })
})

describe('sqlResultKey', () => {
  it('is equal for equal statements and parameters, different for any change', () => {
    const k = sqlResultKey('SELECT * FROM users WHERE id = $1', [1], 'typeorm:v1')
    expect(k).toMatch(/^sql:typeorm:v1:/)
    expect(sqlResultKey('SELECT * FROM users WHERE id = $1', [1], 'typeorm:v1')).toBe(k)
    expect(sqlResultKey('SELECT * FROM users WHERE id = $1', ['1'], 'typeorm:v1')).not.toBe(k)
    expect(sqlResultKey('SELECT * FROM users WHERE id = $1', [2], 'typeorm:v1')).not.toBe(k)
    expect(sqlResultKey('SELECT * FROM users WHERE id = $1', [1], 'typeorm:v2')).not.toBe(k)
    expect(sqlResultKey('SELECT * FROM users WHERE id = $1', undefined)).toBe(
      sqlResultKey('SELECT * FROM users WHERE id = $1', []),
    )
  })
})

describe('TransactionInvalidations', () => {
  it('holds writes until the outermost commit and returns them then', () => {
    const tx = new TransactionInvalidations()
    expect(tx.active).toBe(false)
    tx.begin()
    tx.add(['table:users'])
    tx.add(['table:users', 'table:posts'])
    expect(tx.depth).toBe(1)
    expect(tx.commit()).toEqual({ tags: ['table:users', 'table:posts'], everything: false })
    expect(tx.active).toBe(false)
  })

  it('drops everything on rollback', () => {
    const tx = new TransactionInvalidations()
    tx.begin()
    tx.add(['table:users'])
    tx.addEverything()
    tx.rollback()
    expect(tx.active).toBe(false)
    tx.begin()
    expect(tx.commit()).toEqual({ tags: [], everything: false })
  })

  it('a rolled-back savepoint drops only its own writes; a released one joins its parent', () => {
    const tx = new TransactionInvalidations()
    tx.begin()
    tx.add(['table:a'])
    tx.begin() // SAVEPOINT s1
    tx.add(['table:b'])
    tx.addEverything()
    tx.rollback() // ROLLBACK TO s1
    tx.begin() // SAVEPOINT s2
    tx.add(['table:c'])
    tx.begin() // SAVEPOINT s3
    tx.add(['table:d'])
    expect(tx.commit()).toBeUndefined() // RELEASE s3
    expect(tx.commit()).toBeUndefined() // RELEASE s2
    expect(tx.depth).toBe(1)
    expect(tx.commit()).toEqual({ tags: ['table:a', 'table:c', 'table:d'], everything: false })
  })

  it('carries "everything" from a released savepoint', () => {
    const tx = new TransactionInvalidations()
    tx.begin()
    tx.begin()
    tx.addEverything()
    tx.commit()
    expect(tx.commit()).toEqual({ tags: [], everything: true })
  })

  it('reset forgets every level; misuse is a typed error', () => {
    const tx = new TransactionInvalidations()
    tx.begin()
    tx.begin()
    tx.add(['table:a'])
    tx.reset()
    expect(tx.depth).toBe(0)
    for (const call of [() => tx.add(['x']), () => tx.commit(), () => tx.rollback(), () => tx.addEverything()]) {
      let error: unknown
      try {
        call()
      } catch (e) {
        error = e
      }
      expect(isPerfError(error, 'INVALID_ARGUMENT')).toBe(true)
    }
  })
})

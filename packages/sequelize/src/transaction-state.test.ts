import { describe, expect, it } from 'vitest'
import { ConnectionTransaction, transactionControl } from './transaction-state.js'

describe('transactionControl()', () => {
  it('reads the statements Sequelize 6 sends on PostgreSQL and MariaDB/MySQL', () => {
    expect(transactionControl('START TRANSACTION;')).toEqual({ kind: 'begin' })
    expect(transactionControl('BEGIN')).toEqual({ kind: 'begin' })
    expect(transactionControl('SAVEPOINT "c0a8f9-sp-1";')).toEqual({ kind: 'savepoint', name: 'c0a8f9-sp-1' })
    expect(transactionControl('SAVEPOINT `sp``1`;')).toEqual({ kind: 'savepoint', name: 'sp`1' })
    expect(transactionControl('ROLLBACK TO SAVEPOINT "sp";')).toEqual({ kind: 'rollback-to', name: 'sp' })
    expect(transactionControl('RELEASE SAVEPOINT sp')).toEqual({ kind: 'release', name: 'sp' })
    expect(transactionControl('COMMIT;')).toEqual({ kind: 'commit' })
    expect(transactionControl('ROLLBACK;')).toEqual({ kind: 'rollback' })
  })

  it('is undefined for anything else', () => {
    for (const sql of [
      'SELECT 1',
      'SET TRANSACTION ISOLATION LEVEL SERIALIZABLE',
      "UPDATE t SET c = 'COMMIT'",
      'BEGINNING',
    ])
      expect(transactionControl(sql)).toBeUndefined()
  })
})

describe('ConnectionTransaction', () => {
  it('holds writes until COMMIT, which closes savepoints Sequelize never released', () => {
    const tx = new ConnectionTransaction()
    tx.apply({ kind: 'begin' })
    tx.add(['table:a'])
    tx.apply({ kind: 'savepoint', name: 's1' })
    tx.add(['table:b'])
    expect(tx.apply({ kind: 'commit' })).toEqual({ tags: ['table:a', 'table:b'], everything: false })
    expect(tx.active).toBe(false)
  })

  it('ROLLBACK TO drops the savepoint and every later one; ROLLBACK drops everything', () => {
    const tx = new ConnectionTransaction()
    tx.apply({ kind: 'begin' })
    tx.add(['table:a'])
    tx.apply({ kind: 'savepoint', name: 's1' })
    tx.add(['table:b'])
    tx.apply({ kind: 'savepoint', name: 's2' })
    tx.addEverything()
    tx.apply({ kind: 'rollback-to', name: 's1' })
    tx.add(['table:c'])
    expect(tx.apply({ kind: 'commit' })).toEqual({ tags: ['table:a', 'table:c'], everything: false })
    tx.apply({ kind: 'begin' })
    tx.add(['table:z'])
    tx.apply({ kind: 'rollback' })
    expect(tx.active).toBe(false)
    expect(tx.apply({ kind: 'commit' })).toBeUndefined()
  })

  it('a BEGIN on a connection still marked in a transaction starts over', () => {
    const tx = new ConnectionTransaction()
    tx.apply({ kind: 'begin' })
    tx.add(['table:old'])
    tx.apply({ kind: 'begin' })
    expect(tx.apply({ kind: 'commit' })).toEqual({ tags: [], everything: false })
  })
})

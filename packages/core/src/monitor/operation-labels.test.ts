import { describe, expect, it } from 'vitest'
import { operationLabel, OperationLabels } from './operation-labels.js'

describe('OperationLabels', () => {
  it('get() returns the label text, the same string for the same source, model and operation', () => {
    const labels = new OperationLabels(10)
    const first = labels.get('prisma', 'User', 'findUnique')
    expect(first).toBe('prisma:User.findUnique')
    expect(labels.get('prisma', 'User', 'findUnique')).toBe(first)
    expect(labels.get('prisma', undefined, 'findUnique')).toBe('prisma:*.findUnique')
    expect(labels.get('prisma', 'User', undefined)).toBe('prisma:User.*')
    expect(labels.get('typeorm', 'User', 'findUnique')).toBe('typeorm:User.findUnique')
  })

  it('get() builds labels past max and for non-string fields without keeping them', () => {
    const labels = new OperationLabels(1)
    labels.get('prisma', 'A', 'findMany')
    expect(labels.get('prisma', 'B', 'findMany')).toBe('prisma:B.findMany')
    let calls = 0
    const source = { toString: () => `s${++calls}` }
    expect(labels.get(source, 'A', 'x')).toBe('s1:A.x')
    expect(labels.get(source, 'A', 'x')).toBe('s2:A.x')
    expect(labels.get(42, null, 'x')).toBe(operationLabel(42, null, 'x'))
  })
})

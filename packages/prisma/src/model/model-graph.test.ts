import { isPerfError } from '@perf/core'
import { describe, expect, it } from 'vitest'
import { blogDataModel, blogSchema } from '../../test/fixtures/blog-model.js'
import { ModelGraph } from './model-graph.js'
import { parseSchemaText } from './schema-text.js'

const parseForeignKeys = (schema: string, names: Set<string>) => parseSchemaText(schema, names).foreignKeys

describe('parseSchemaText()', () => {
  it('reads fields, references and referential actions with Prisma defaults', () => {
    const fks = parseForeignKeys(blogSchema, new Set(Object.keys(blogDataModel.models)))
    expect(fks.map((fk) => `${fk.model}.${fk.field}->${fk.target} ${fk.onDelete}/${fk.onUpdate}`).sort()).toEqual([
      'Comment.author->User Cascade/Cascade',
      'Comment.post->Post Cascade/Cascade',
      'Post.author->User Cascade/Cascade',
      'Profile.user->User Cascade/Cascade',
      'Review.author->User Restrict/Cascade',
    ])
    const optional = parseForeignKeys(
      'model A {\n  b B? @relation(fields: [bId], references: [id]) // x\n  bId Int?\n}\nmodel B {\n  id Int @id\n}',
      new Set(['A', 'B']),
    )
    expect(optional[0]).toMatchObject({
      model: 'A',
      target: 'B',
      fields: ['bId'],
      references: ['id'],
      onDelete: 'SetNull',
      onUpdate: 'Cascade',
    })
  })
})

describe('ModelGraph', () => {
  const graph = new ModelGraph(blogDataModel, blogSchema)

  it('resolve() accepts delegate spelling and throws UNKNOWN_MODEL for unknown names', () => {
    expect(graph.resolve('user', 'models')).toBe('User')
    expect(graph.resolve('Comment', 'models')).toBe('Comment')
    let error: unknown
    try {
      graph.resolve('Usr', 'models')
    } catch (err) {
      error = err
    }
    expect(isPerfError(error, 'UNKNOWN_MODEL')).toBe(true)
    expect(String(error)).toContain('Usr')
  })

  it('modelsForTable() maps @@map names and implicit many-to-many join tables', () => {
    expect(graph.modelsForTable('comments')).toEqual(['Comment'])
    expect(graph.modelsForTable('user')).toEqual(['User'])
    expect(graph.modelsForTable('_PostToTag')).toEqual(['Post', 'Tag'])
    expect(graph.modelsForTable('audit_log')).toBeUndefined()
  })

  it('deleteDependents() follows cascading deletes transitively', () => {
    expect([...graph.deleteDependents('User')].sort()).toEqual(['Comment', 'Post', 'Profile'])
    expect([...graph.deleteDependents('Post')].sort()).toEqual(['Comment'])
    expect(graph.deleteDependents('Tag')).toEqual([])
  })

  // @see issue 9: TRUNCATE ... CASCADE empties tables that reference through Restrict relations too.
  it('truncateDependents() follows every foreign key, whatever its onDelete', () => {
    expect([...graph.truncateDependents('User')].sort()).toEqual(['Comment', 'Post', 'Profile', 'Review'])
    expect([...graph.truncateDependents('Post')].sort()).toEqual(['Comment'])
    expect(graph.truncateDependents('Review')).toEqual([])
  })

  it('truncateDependents() ends on self-relations and cycles', () => {
    const schema = `
model Owner {
  id         Int   @id
  favoriteId Int?
  favorite   Leaf? @relation(fields: [favoriteId], references: [id])
  nodes      Node[]
}
model Node {
  id       Int    @id
  parentId Int?
  parent   Node?  @relation("tree", fields: [parentId], references: [id])
  children Node[] @relation("tree")
  ownerId  Int
  owner    Owner  @relation(fields: [ownerId], references: [id], onDelete: NoAction)
  leaves   Leaf[]
}
model Leaf {
  id     Int     @id
  nodeId Int
  node   Node    @relation(fields: [nodeId], references: [id], onDelete: Restrict)
  owners Owner[]
}
model Lone {
  id Int @id
}`
    const o = (name: string, type: string, relationName: string) => ({ name, kind: 'object', type, relationName })
    const cyclic = new ModelGraph(
      {
        models: {
          Owner: { fields: [o('favorite', 'Leaf', 'LeafToOwner'), o('nodes', 'Node', 'NodeToOwner')] },
          Node: {
            fields: [
              o('parent', 'Node', 'tree'),
              o('children', 'Node', 'tree'),
              o('owner', 'Owner', 'NodeToOwner'),
              o('leaves', 'Leaf', 'LeafToNode'),
            ],
          },
          Leaf: { fields: [o('node', 'Node', 'LeafToNode'), o('owners', 'Owner', 'LeafToOwner')] },
          Lone: { fields: [] },
        },
      },
      schema,
    )
    expect([...cyclic.truncateDependents('Owner')].sort()).toEqual(['Leaf', 'Node'])
    expect([...cyclic.truncateDependents('Leaf')].sort()).toEqual(['Node', 'Owner'])
    expect([...cyclic.truncateDependents('Node')].sort()).toEqual(['Leaf', 'Owner'])
    expect(cyclic.truncateDependents('Lone')).toEqual([])
    expect(cyclic.deleteDependents('Owner')).toEqual([])
  })

  it('deleteDependents() without schema text returns every related model', () => {
    const blind = new ModelGraph(blogDataModel)
    expect([...blind.deleteDependents('Tag')].sort()).toEqual(['Comment', 'Post', 'Profile', 'Review', 'User'])
  })

  it('updateDependents() returns children whose keys follow a referenced field', () => {
    expect(graph.updateDependents('User', ['id']).sort()).toEqual(['Comment', 'Post', 'Profile', 'Review'])
    expect(graph.updateDependents('User', ['name'])).toEqual([])
  })

  it('schemaVersion changes when the data model changes', () => {
    const changed = structuredClone(blogDataModel)
    ;(changed.models.Tag as { fields: unknown[] }).fields.push({ name: 'color', kind: 'scalar', type: 'String' })
    expect(new ModelGraph(changed).schemaVersion).not.toBe(graph.schemaVersion)
    expect(new ModelGraph(blogDataModel).schemaVersion).toBe(graph.schemaVersion)
  })

  it("tableTagsOf() names each model's table (@@map honoured) and a many-to-many join table only when both sides are read", () => {
    const graph = new ModelGraph(blogDataModel, blogSchema)
    expect(graph.tableTagsOf(['Comment'])).toEqual(['table:comments'])
    expect(graph.tableTagsOf(['Post', 'Tag'])).toEqual(['table:post', 'table:tag', 'table:_posttotag'])
    // One-to-many relations have a foreign key, no join table.
    expect(graph.tableTagsOf(['Post', 'User'])).toEqual(['table:post', 'table:user'])
  })
})

describe('ModelGraph: what bulk writes need', () => {
  const schema = `model Line {
  orderId  Int    @map("order_id")
  position Int
  sku      String @map(name: "sku_code") @db.VarChar(20)
  note     String?
  order    Order  @relation(fields: [orderId], references: [id])

  @@id([orderId, position])
  @@map("order_lines")
  @@schema("shop")
}
model Order {
  id    Int    @id @default(autoincrement())
  lines Line[]
}`
  const graph = new ModelGraph(
    {
      models: {
        Line: {
          dbName: 'order_lines',
          schema: 'shop',
          fields: [
            { name: 'orderId', kind: 'scalar', type: 'Int' },
            { name: 'position', kind: 'scalar', type: 'Int' },
            { name: 'sku', kind: 'scalar', type: 'String' },
            { name: 'note', kind: 'scalar', type: 'String' },
            { name: 'order', kind: 'object', type: 'Order', relationName: 'LineToOrder' },
          ],
        },
        Order: {
          dbName: null,
          fields: [
            { name: 'id', kind: 'scalar', type: 'Int' },
            { name: 'lines', kind: 'object', type: 'Line', relationName: 'LineToOrder' },
          ],
        },
      },
    },
    schema,
  )

  it('storedFields() maps @map (both spellings) and leaves out relation fields', () => {
    expect(graph.storedFields('Line').map((f) => [f.name, f.column])).toEqual([
      ['orderId', 'order_id'],
      ['position', 'position'],
      ['sku', 'sku_code'],
      ['note', 'note'],
    ])
  })

  it('tableOf() honours @@map and @@schema; idFields() reads @@id and @id', () => {
    expect(graph.tableOf('Line')).toEqual({ schema: 'shop', name: 'order_lines' })
    expect(graph.tableOf('Order')).toEqual({ name: 'Order' })
    expect(graph.idFields('Line')).toEqual(['orderId', 'position'])
    expect(graph.idFields('Order')).toEqual(['id'])
  })
})

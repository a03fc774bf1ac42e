import {
  ormAdapterSuite,
  ormSuiteSchema,
  type OrmSuiteRead,
  type OrmSuiteTransaction,
  type OrmSuiteWrite,
  type OrmSuiteWriteArgs,
} from '@perf/core/testing'
import type { Model, ModelStatic, Transaction } from 'sequelize'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { instrument } from '../src/index.js'
import {
  SEQUELIZE_VERSIONS,
  createDatabase,
  mariadbAvailable,
  postgresAvailable,
  type Dialect,
} from './setup/databases.js'
import { defineSuiteModels } from './setup/suite-models.js'

const runner = { describe, it, expect, beforeEach, afterEach }
const available: Record<Dialect, boolean> = { postgres: await postgresAvailable(), mariadb: await mariadbAvailable() }

const plain = (rows: Model[] | Model | null) =>
  Array.isArray(rows) ? rows.map((r) => r.get({ plain: true })) : rows === null ? null : rows.get({ plain: true })

for (const dialect of ['postgres', 'mariadb'] as const) {
  for (const version of SEQUELIZE_VERSIONS) {
    describe.skipIf(!available[dialect])(`@perf/sequelize on ${dialect}, ${version.label}`, () => {
      ormAdapterSuite(
        runner,
        async ({ cache, monitor }) => {
          const db = await createDatabase(dialect, {
            lib: version.lib,
            schema: ormSuiteSchema(dialect === 'postgres' ? 'postgres' : 'mysql'),
            count: /perf_/,
          })
          const { User, Post, Tag } = defineSuiteModels(version.lib, db.sequelize, dialect)
          const perf = instrument(db.sequelize, { cache, monitor })
          const ttl = { ttl: '5m' }

          const read = (name: OrmSuiteRead, cache: object | undefined, arg?: number, transaction?: Transaction) => {
            const o = {
              ...(cache === undefined ? {} : { cache }),
              ...(transaction === undefined ? {} : { transaction }),
            }
            switch (name) {
              case 'userById':
                return User.findByPk(arg, o).then(plain)
              case 'allUsers':
                return User.findAll({ order: [['id', 'ASC']], ...o }).then(plain)
              case 'postsWithAuthors':
                return Post.findAll({ include: [{ model: User, as: 'author' }], order: [['id', 'ASC']], ...o }).then(
                  plain,
                )
              case 'tagsOfPost':
                return Tag.findAll({
                  include: [
                    { model: Post, as: 'posts', where: { id: arg }, attributes: [], through: { attributes: [] } },
                  ],
                  order: [['id', 'ASC']],
                  ...o,
                }).then(plain)
              case 'allTags':
                return Tag.findAll({ order: [['id', 'ASC']], ...o }).then(plain)
            }
          }
          const write = async (kind: OrmSuiteWrite, a: OrmSuiteWriteArgs, transaction?: Transaction) => {
            const t = transaction === undefined ? {} : { transaction }
            switch (kind) {
              case 'insertUser':
                await User.create({ id: a.id, name: a.name, createdAt: new Date() }, t)
                return
              case 'updateUserName': {
                const user = await User.findByPk(a.id, t)
                await user!.update({ name: a.name }, t)
                return
              }
              case 'deleteUser':
                await User.destroy({ where: { id: a.id }, ...t })
                return
              case 'upsertUser':
                await User.upsert({ id: a.id, name: a.name, createdAt: new Date('2024-01-01T00:00:00Z') }, t)
                return
              case 'rawUpdateUserName':
                await db.sequelize.query('UPDATE perf_users SET name = :name WHERE id = :id', {
                  replacements: { id: a.id, name: a.name },
                  ...t,
                })
                return
              case 'linkTagToPost': {
                const post = (await Post.findByPk(a.id, t)) as Model & {
                  addTag(id: number, o: object): Promise<unknown>
                }
                await post.addTag(a.tagId!, t)
                return
              }
              case 'renameTag':
                await Tag.update({ name: a.name }, { where: { id: a.id }, ...t })
                return
            }
          }
          const wrapTx = (transaction: Transaction): OrmSuiteTransaction => ({
            write: (kind, args) => write(kind, args, transaction),
            read: (name, arg) => read(name, undefined, arg, transaction),
            savepoint: (fn) => db.sequelize.transaction({ transaction }, (inner) => fn(wrapTx(inner))),
          })
          return {
            source: 'sequelize',
            read: (name, cached, arg) => read(name, cached ? ttl : undefined, arg),
            write: (kind, args) => write(kind, args),
            transaction: (fn) => db.sequelize.transaction((t) => fn(wrapTx(t))),
            sql: async (text) => void (await db.sql(text)),
            statements: () => db.tap.count(),
            gateNextUserRead: () => db.tap.gate(/^SELECT[\s\S]*perf_users/i),
            close: async () => {
              perf.uninstrument()
              await db.close()
            },
          }
        },
        { gates: true },
      )
    })
  }
}

export type { ModelStatic }

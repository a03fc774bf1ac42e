import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type * as typeorm1 from 'typeorm'
import { DATABASE_URL } from '../prisma/database.js'

const require = createRequire(import.meta.url)

/** The row the suite reads: the `Account` table of the Prisma suite's {@link BenchDatabase}. */
export interface Account {
  id: number
  email: string
  name: string
  active: boolean
  score: number
  role: string
  createdAt: Date
}

/** One TypeORM line under test: its module and its installed version. */
export interface TypeormLine {
  label: string
  version: string
  typeorm: typeof typeorm1
}

/** Version of an installed package found by walking up from its entry point (aliases included). */
function installedVersion(specifier: string): string {
  let dir = dirname(require.resolve(specifier))
  for (let i = 0; i < 6; i++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string }
      if (pkg.name === 'typeorm' && pkg.version) return pkg.version
    } catch {
      // no package.json here; keep walking up
    }
  }
  return 'unknown'
}

/** TypeORM 1.x (`typeorm`) and 0.3 (the `typeorm03` npm alias), whichever load. */
export async function typeormLines(): Promise<TypeormLine[]> {
  const lines: TypeormLine[] = []
  for (const specifier of ['typeorm', 'typeorm03']) {
    try {
      const typeorm = (await import(specifier)) as typeof typeorm1
      const version = installedVersion(specifier)
      lines.push({ label: `TypeORM ${version}`, version, typeorm })
    } catch {
      // not installed: the suite says which lines it measured
    }
  }
  return lines
}

/** Counts what TypeORM sends: every statement passes through the logger's logQuery. */
export class StatementCounter {
  count = 0
  logQuery(): void {
    this.count++
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

/** The entity of `Account`, built with the given TypeORM's EntitySchema (no decorators needed). */
export function accountEntity(typeorm: typeof typeorm1): typeorm1.EntitySchema<Account> {
  return new typeorm.EntitySchema<Account>({
    name: 'Account',
    tableName: 'Account',
    columns: {
      id: { type: 'integer', primary: true },
      email: { type: 'text' },
      name: { type: 'text' },
      active: { type: 'boolean' },
      score: { type: 'integer' },
      role: { type: 'text' },
      createdAt: { type: 'timestamptz' },
    },
  })
}

/** A DataSource on the benchmark schema, initialized, with a statement counter as its logger. */
export async function openDataSource(
  line: TypeormLine,
  schema: string,
  extra: Record<string, unknown> = {},
): Promise<{ dataSource: typeorm1.DataSource; counter: StatementCounter; entity: typeorm1.EntitySchema<Account> }> {
  const counter = new StatementCounter()
  const entity = accountEntity(line.typeorm)
  const dataSource = new line.typeorm.DataSource({
    type: 'postgres',
    url: DATABASE_URL,
    schema,
    entities: [entity],
    poolSize: 10,
    logger: counter,
    ...extra,
  } as typeorm1.DataSourceOptions)
  await dataSource.initialize()
  return { dataSource, counter, entity }
}

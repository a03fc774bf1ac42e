import type { TestProject } from 'vitest/node'
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the private PostgreSQL, or '' when it could not be started. */
    pgUrl: string
    /** Why the private PostgreSQL is missing, when it is. */
    pgMissing: string
  }
}

let server: PrivatePostgres | undefined

/** Starts one private PostgreSQL for the run (test files then skip loudly, or fail under PERF_REQUIRE_SERVICES=1, without it). */
export async function setup(project: TestProject): Promise<void> {
  try {
    server = await startPrivatePostgres()
    project.provide('pgUrl', server.url)
    project.provide('pgMissing', '')
  } catch (error) {
    project.provide('pgUrl', '')
    project.provide('pgMissing', error instanceof Error ? error.message.split('\n')[0]! : String(error))
  }
}

export async function teardown(): Promise<void> {
  await server?.stop()
}

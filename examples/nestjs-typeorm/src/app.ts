import 'reflect-metadata'
import { Module, type DynamicModule, type INestApplication } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { TerminusModule } from '@nestjs/terminus'
import { createCache, createMonitor, type Cache, type Monitor, type ScopeReport } from '@perf/core'
import { PerfModule } from '@perf/nestjs'
import { PerfHealthIndicator } from '@perf/nestjs/terminus'
import { instrument } from '@perf/typeorm'
import { DataSource } from 'typeorm'
import { Project, Task } from './entities.js'
import { HealthController } from './health.js'
import { DATA_SOURCE, ProjectsController, ProjectsService } from './projects.js'

/** Where the app stores its tables, and who hears about each request's scope. */
export interface AppOptions {
  databaseUrl: string
  /** A PostgreSQL schema of its own (created if missing). */
  schema: string
  onReport?: (report: ScopeReport) => void
}

/** The app's module: PerfModule with the cache and monitor, TypeORM instrumented with the same two. */
export function appModule(options: AppOptions, cache: Cache, monitor: Monitor): DynamicModule {
  @Module({})
  class AppModule {}
  return {
    module: AppModule,
    imports: [PerfModule.forRoot({ cache, monitor, serverTiming: true, onReport: options.onReport }), TerminusModule],
    controllers: [ProjectsController, HealthController],
    providers: [
      {
        provide: DATA_SOURCE,
        useFactory: async () => {
          const dataSource = new DataSource({
            type: 'postgres',
            url: options.databaseUrl,
            schema: options.schema,
            entities: [Project, Task],
            synchronize: true,
          })
          await dataSource.initialize()
          // Reads and writes now go through the cache and are recorded by the monitor.
          instrument(dataSource, { cache, monitor })
          return dataSource
        },
      },
      ProjectsService,
      PerfHealthIndicator,
    ],
  }
}

/** Builds the app, its cache and monitor, and seeds three projects of four tasks. */
export async function createApp(
  options: AppOptions,
): Promise<{ app: INestApplication; monitor: Monitor; cache: Cache }> {
  const cache = createCache({ defaultTtl: '1m', namespace: options.schema })
  const monitor = createMonitor({ nPlusOneThreshold: 3 })
  const app = await NestFactory.create(appModule(options, cache, monitor), { logger: ['error', 'warn'] })
  app.enableShutdownHooks()
  const dataSource = app.get<DataSource>(DATA_SOURCE)
  if ((await dataSource.getRepository(Project).count()) === 0) {
    for (const name of ['Engine', 'Loom', 'Notes']) {
      const project = await dataSource.getRepository(Project).save({ name })
      await dataSource
        .getRepository(Task)
        .save([1, 2, 3, 4].map((n) => ({ title: `${name} task ${n}`, done: n === 4, project })))
    }
  }
  return { app, monitor, cache }
}

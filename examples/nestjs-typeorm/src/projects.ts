import { Controller, Get, Inject, Injectable, Param, ParseIntPipe } from '@nestjs/common'
import type { Cache } from '@perf/core'
import { InjectCache } from '@perf/nestjs'
import { DataSource } from 'typeorm'
import { Project, Task } from './entities.js'

/** The DataSource token (a factory provider builds and instruments it). */
export const DATA_SOURCE = 'DATA_SOURCE'

@Injectable()
export class ProjectsService {
  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @InjectCache() private readonly cache: Cache,
  ) {}

  /** Deliberately N+1: one count per project. The monitor names it by route; see the report. */
  async summaries(): Promise<Array<{ id: number; name: string; open: number }>> {
    const projects = await this.dataSource.getRepository(Project).find({ order: { id: 'ASC' } })
    const tasks = this.dataSource.getRepository(Task)
    const out = []
    for (const p of projects)
      out.push({ id: p.id, name: p.name, open: await tasks.count({ where: { project: { id: p.id }, done: false } }) })
    return out
  }

  /** A cached find (TypeORM's own `cache` option, answered by @perf's tiers). */
  project(id: number): Promise<Project | null> {
    return this.dataSource
      .getRepository(Project)
      .findOne({ where: { id }, relations: { tasks: true }, order: { tasks: { id: 'ASC' } }, cache: 60_000 })
  }

  /** The injected cache, used directly: the request's Server-Timing counts it too. */
  taskCount(): Promise<number> {
    return this.cache.getOrSet('tasks:count', () => this.dataSource.getRepository(Task).count(), { ttl: '10s' })
  }
}

@Controller('projects')
export class ProjectsController {
  constructor(@Inject(ProjectsService) private readonly projects: ProjectsService) {}

  @Get()
  list() {
    return this.projects.summaries()
  }

  @Get('stats')
  async stats() {
    return { tasks: await this.projects.taskCount() }
  }

  @Get(':id')
  one(@Param('id', ParseIntPipe) id: number) {
    return this.projects.project(id)
  }
}

import { Column, Entity, ManyToOne, OneToMany, PrimaryGeneratedColumn } from 'typeorm'

// Column types and injection tokens are spelled out: tsx and vitest compile with esbuild, which
// emits no design-type metadata for TypeORM or Nest to read.

/** A project with tasks. */
@Entity({ name: 'projects' })
export class Project {
  @PrimaryGeneratedColumn('increment')
  id!: number

  @Column('text')
  name!: string

  @OneToMany(() => Task, (task) => task.project)
  tasks!: Task[]
}

/** A task of a project. */
@Entity({ name: 'tasks' })
export class Task {
  @PrimaryGeneratedColumn('increment')
  id!: number

  @Column('text')
  title!: string

  @Column('boolean', { default: false })
  done!: boolean

  @ManyToOne(() => Project, (project) => project.tasks, { onDelete: 'CASCADE' })
  project!: Project
}

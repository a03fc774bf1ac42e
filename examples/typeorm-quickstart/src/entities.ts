import { Column, CreateDateColumn, Entity, ManyToOne, OneToMany, PrimaryGeneratedColumn } from 'typeorm'

// Column types are spelled out: tsx and vitest compile with esbuild, which does not emit the
// design-type metadata TypeORM would otherwise read from the property types.

/** An author with posts. */
@Entity({ name: 'authors' })
export class Author {
  @PrimaryGeneratedColumn('increment')
  id!: number

  @Column('text', { unique: true })
  email!: string

  @Column('text')
  name!: string

  @OneToMany(() => Post, (post) => post.author)
  posts!: Post[]
}

/** A post; `price` is a numeric column, which TypeORM returns as a string. */
@Entity({ name: 'posts' })
export class Post {
  @PrimaryGeneratedColumn('increment')
  id!: number

  @Column('text')
  title!: string

  @Column('numeric', { precision: 10, scale: 2 })
  price!: string

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date

  @ManyToOne(() => Author, (author) => author.posts, { onDelete: 'CASCADE' })
  author!: Author
}

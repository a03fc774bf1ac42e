import type { Sequelize } from 'sequelize'
import type { Dialect, SequelizeModule } from './databases.js'

/** Models on the tables of `ormSuiteSchema` (perf_users, perf_posts, perf_tags, perf_post_tags). */
export function defineSuiteModels(lib: SequelizeModule, sequelize: Sequelize, dialect: Dialect) {
  const { DataTypes } = lib
  const common = { sequelize, timestamps: false, underscored: true }
  const User = sequelize.define(
    'User',
    {
      id: { type: DataTypes.INTEGER, primaryKey: true },
      name: { type: DataTypes.STRING(100), allowNull: false },
      email: { type: DataTypes.STRING(200), allowNull: true },
      balance: { type: DataTypes.DECIMAL(12, 2), allowNull: false, defaultValue: 0 },
      createdAt: { type: DataTypes.DATE(3), allowNull: false, field: 'created_at' },
      profile: { type: dialect === 'postgres' ? DataTypes.JSONB : DataTypes.JSON, allowNull: true },
    },
    { ...common, tableName: 'perf_users' },
  )
  const Post = sequelize.define(
    'Post',
    {
      id: { type: DataTypes.INTEGER, primaryKey: true },
      authorId: { type: DataTypes.INTEGER, allowNull: false, field: 'author_id' },
      title: { type: DataTypes.STRING(200), allowNull: false },
    },
    { ...common, tableName: 'perf_posts' },
  )
  const Tag = sequelize.define(
    'Tag',
    {
      id: { type: DataTypes.INTEGER, primaryKey: true },
      name: { type: DataTypes.STRING(100), allowNull: false },
    },
    { ...common, tableName: 'perf_tags' },
  )
  const PostTag = sequelize.define(
    'PostTag',
    {
      postId: { type: DataTypes.INTEGER, primaryKey: true, field: 'post_id' },
      tagId: { type: DataTypes.INTEGER, primaryKey: true, field: 'tag_id' },
    },
    { ...common, tableName: 'perf_post_tags' },
  )
  Post.belongsTo(User, { as: 'author', foreignKey: 'authorId' })
  User.hasMany(Post, { as: 'posts', foreignKey: 'authorId' })
  Post.belongsToMany(Tag, { through: PostTag, foreignKey: 'postId', otherKey: 'tagId', as: 'tags' })
  Tag.belongsToMany(Post, { through: PostTag, foreignKey: 'tagId', otherKey: 'postId', as: 'posts' })
  return { User, Post, Tag, PostTag }
}

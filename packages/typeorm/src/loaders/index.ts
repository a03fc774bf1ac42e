export { createLoaders } from './create-loaders.js'
export type {
  CreateLoadersOptions,
  EntityKeyValue,
  ParentKey,
  RelationValue,
  TypeormLoaders,
} from './create-loaders.js'
